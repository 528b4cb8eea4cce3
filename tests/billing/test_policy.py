"""The policy and quote wording clients read: percentages as people write them."""

from decimal import Decimal

import pytest

from mesoclinic.billing.policy import CancellationPolicy, Package, course_quote

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("percent", "shown"),
    [("20", "20%"), ("20.00", "20%"), ("12.5", "12.5%"), ("100", "100%")],
)
def test_deposit_percent_is_written_plainly(percent, shown):
    summary = CancellationPolicy(deposit_percent=Decimal(percent)).summary()
    assert f"a deposit of {shown} of the price" in summary
    assert "E+" not in summary


def test_unnamed_course_discount_is_written_plainly():
    quote = course_quote(
        sessions=10,
        session_price=Decimal("300"),
        packages=(Package(min_sessions=6, percent=Decimal("20"), name=""),),
    )
    assert quote.discount_name == "20% course discount"
