"""The no-show presets, from flexible to strict, and how they read to a client."""

from decimal import Decimal

import pytest

from mesoclinic.billing.policy import CancellationPolicy, NoShowPreset, NoShowRule

pytestmark = pytest.mark.pure
PRICE, DEPOSIT = Decimal("300.00"), Decimal("60.00")


@pytest.mark.parametrize(
    ("preset", "forfeit", "fee"),
    [
        (NoShowPreset.FLEXIBLE, "0.00", "0.00"),
        (NoShowPreset.MODERATE, "60.00", "0.00"),
        (NoShowPreset.STRICT, "60.00", "150.00"),
    ],
)
def test_each_preset_keeps_the_deposit_and_charges_a_fee_as_it_says(preset, forfeit, fee):
    charge = NoShowRule(preset=preset).charge(price=PRICE, deposit_held=DEPOSIT)
    assert (charge.forfeit, charge.fee) == (Decimal(forfeit), Decimal(fee))


def test_the_strict_fee_is_its_share_of_the_price_rounded_to_the_penny():
    rule = NoShowRule(preset=NoShowPreset.STRICT, fee_percent=Decimal("33.333"))
    assert rule.charge(price=Decimal("99.99"), deposit_held=Decimal("0")).fee == Decimal("33.33")


def test_no_deposit_held_means_nothing_to_keep():
    charge = NoShowRule(preset=NoShowPreset.MODERATE).charge(price=PRICE, deposit_held=Decimal(0))
    assert charge.nothing


@pytest.mark.parametrize("percent", ["-1", "100.01"])
def test_a_fee_share_outside_0_to_100_is_refused(percent):
    with pytest.raises(ValueError, match="fee_percent"):
        NoShowRule(preset=NoShowPreset.STRICT, fee_percent=Decimal(percent))


def test_an_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="lenient"):
        NoShowRule(preset="lenient")  # type: ignore[arg-type]


def test_the_summary_before_booking_names_the_no_show_rule():
    policy = CancellationPolicy(deposit_percent=Decimal("20"))
    strict = NoShowRule(preset=NoShowPreset.STRICT, fee_percent=Decimal("50"))
    text = policy.summary(no_show=strict)
    assert "up to 48 hours (2 days)" in text
    assert "it is kept if you cancel later than that." in text
    assert (
        "If you miss your appointment without telling us, the deposit is kept and a fee "
        "of 50% of the price is added to your account." in text
    )
    flexible = policy.summary(no_show=NoShowRule(preset=NoShowPreset.FLEXIBLE))
    assert "nothing is charged" in flexible
    assert "do not come" not in flexible  # the deposit line no longer says it is kept


def test_without_a_deposit_the_strict_summary_names_the_fee_only():
    text = CancellationPolicy().summary(no_show=NoShowRule(preset=NoShowPreset.STRICT))
    assert "deposit" not in text
    assert "a fee of 50% of the price" in text
