"""Tests for the outcome-scale registry and scoring (mesoclinic.records.scales)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.records.scales import (
    PRIMARY_SCALE_BY_INDICATION,
    SCALES,
    ComponentKind,
    Direction,
    ScaleError,
    ScaleErrorCode,
    ScaleResult,
    get_scale,
    ordinal_rank,
    primary_scale_for,
    score,
)

REGIONS = ("forehead", "left_malar", "right_malar", "chin")
MASI_MAXIMA = {"area": 6, "darkness": 4, "homogeneity": 4}
MMASI_MAXIMA = {"area": 6, "darkness": 4}


def masi_components(area: int, darkness: int, homogeneity: int) -> dict[str, object]:
    """The same sub-scores in every MASI region."""
    return {
        f"{region}_{item}": value
        for region in REGIONS
        for item, value in (("area", area), ("darkness", darkness), ("homogeneity", homogeneity))
    }


def mmasi_components(area: int, darkness: int) -> dict[str, object]:
    """The same sub-scores in every mMASI region."""
    return {
        f"{region}_{item}": value
        for region in REGIONS
        for item, value in (("area", area), ("darkness", darkness))
    }


def hexsel_components(total: int) -> dict[str, object]:
    """Five Hexsel items (each 0-3) adding up to ``total``, filled left to right."""
    keys = ("depressions", "depth", "raised_areas", "laxity", "grade")
    items: dict[str, object] = {}
    remaining = total
    for key in keys:
        items[key] = min(3, remaining)
        remaining -= min(3, remaining)
    return items


MIXED_MASI = {
    "forehead_area": 2,
    "forehead_darkness": 1,
    "forehead_homogeneity": 2,
    "left_malar_area": 4,
    "left_malar_darkness": 3,
    "left_malar_homogeneity": 2,
    "right_malar_area": 3,
    "right_malar_darkness": 2,
    "right_malar_homogeneity": 1,
    "chin_area": 1,
    "chin_darkness": 1,
    "chin_homogeneity": 0,
}


# --- registry ------------------------------------------------------------------------------


def test_registry_holds_every_scale_of_domain_section_6_in_order():
    # given
    expected = [
        "gais",
        "fitzpatrick-phototype",
        "glogau",
        "masi",
        "mmasi",
        "hexsel-css",
        "nurnberger-muller",
        "goodman-baron-qualitative",
        "hamilton-norwood",
        "ludwig",
        "sinclair",
        "hair-density",
        "wrinkle-0-4",
        "vas-pain",
    ]

    # when
    codes = list(SCALES)

    # then
    assert codes == expected


@pytest.mark.parametrize("code", list(SCALES))
def test_every_scale_is_described_with_name_description_source_and_components(code):
    # given
    scale = SCALES[code]

    # when
    keys = [component.key for component in scale.components]

    # then
    assert scale.code == code
    assert scale.name
    assert scale.description
    assert scale.source
    assert keys
    assert all(component.label for component in scale.components)
    assert len(keys) == len(set(keys))


def test_only_fitzpatrick_and_glogau_are_baseline_descriptors():
    # given / when
    baseline = [code for code, scale in SCALES.items() if scale.is_baseline]
    outcomes = [code for code, scale in SCALES.items() if scale.is_outcome]

    # then
    assert baseline == ["fitzpatrick-phototype", "glogau"]
    assert len(outcomes) == len(SCALES) - 2


@pytest.mark.parametrize(
    ("code", "direction"),
    [
        ("gais", Direction.LOWER_IS_BETTER),
        ("fitzpatrick-phototype", Direction.NOT_APPLICABLE),
        ("glogau", Direction.LOWER_IS_BETTER),
        ("masi", Direction.LOWER_IS_BETTER),
        ("mmasi", Direction.LOWER_IS_BETTER),
        ("hexsel-css", Direction.LOWER_IS_BETTER),
        ("nurnberger-muller", Direction.LOWER_IS_BETTER),
        ("goodman-baron-qualitative", Direction.LOWER_IS_BETTER),
        ("hamilton-norwood", Direction.LOWER_IS_BETTER),
        ("ludwig", Direction.LOWER_IS_BETTER),
        ("sinclair", Direction.LOWER_IS_BETTER),
        ("hair-density", Direction.HIGHER_IS_BETTER),
        ("wrinkle-0-4", Direction.LOWER_IS_BETTER),
        ("vas-pain", Direction.LOWER_IS_BETTER),
    ],
)
def test_each_scale_declares_its_direction(code, direction):
    # given / when
    scale = get_scale(code)

    # then
    assert scale.direction is direction


def test_masi_component_keys_match_the_api_contract():
    # given
    scale = get_scale("masi")

    # when
    ranges = {c.key: (c.minimum, c.maximum) for c in scale.components}

    # then
    assert ranges == {
        f"{region}_{item}": (0, maximum)
        for region in REGIONS
        for item, maximum in MASI_MAXIMA.items()
    }


def test_mmasi_component_keys_are_masi_without_homogeneity():
    # given
    scale = get_scale("mmasi")

    # when
    ranges = {c.key: (c.minimum, c.maximum) for c in scale.components}

    # then
    assert ranges == {
        f"{region}_{item}": (0, maximum)
        for region in REGIONS
        for item, maximum in MMASI_MAXIMA.items()
    }


@pytest.mark.parametrize(
    ("code", "components"),
    [
        ("hexsel-css", {"depressions", "depth", "raised_areas", "laxity", "grade"}),
        ("gais", {"score"}),
        ("vas-pain", {"mm", "numbing_used", "timing"}),
        ("fitzpatrick-phototype", {"value"}),
        ("glogau", {"value"}),
        ("nurnberger-muller", {"value"}),
        ("goodman-baron-qualitative", {"value"}),
        ("hamilton-norwood", {"value"}),
        ("ludwig", {"value"}),
        ("sinclair", {"value"}),
        ("hair-density", {"value"}),
        ("wrinkle-0-4", {"value", "area", "state"}),
    ],
)
def test_component_keys_match_the_api_contract(code, components):
    # given / when
    keys = {component.key for component in get_scale(code).components}

    # then
    assert keys == components


def test_scale_descriptions_are_json_serialisable():
    # given
    described = [scale.as_dict() for scale in SCALES.values()]

    # when
    text = json.dumps(described)

    # then
    assert json.loads(text)[3]["code"] == "masi"
    assert json.loads(text)[5]["bands"][1] == {"minimum": 1, "maximum": 5, "label": "mild"}


def test_scale_description_lists_ordinal_values_with_labels():
    # given
    scale = get_scale("ludwig")

    # when
    described = scale.as_dict()["components"]

    # then
    assert described == [
        {
            "key": "value",
            "label": "Ludwig grade (I-III)",
            "kind": "ordinal",
            "required": True,
            "allowed_values": [
                {"value": "I", "label": "perceptible thinning of the crown"},
                {"value": "II", "label": "pronounced thinning of the crown"},
                {"value": "III", "label": "full baldness of the crown"},
            ],
        }
    ]


def test_component_kinds_cover_the_scales():
    # given / when
    kinds = {c.kind for scale in SCALES.values() for c in scale.components}

    # then
    assert kinds == set(ComponentKind)


def test_get_scale_rejects_an_unknown_code():
    # given
    code = "masi-2"

    # when
    with pytest.raises(ScaleError) as caught:
        get_scale(code)

    # then
    assert caught.value.code is ScaleErrorCode.UNKNOWN_SCALE
    assert caught.value.details == {"scale": "masi-2"}
    assert str(caught.value).startswith("Unknown scale 'masi-2'; known scales: gais, ")


# --- MASI and mMASI ------------------------------------------------------------------------


def test_masi_at_every_maximum_is_48():
    # given
    components = masi_components(area=6, darkness=4, homogeneity=4)

    # when
    result = score("masi", components)

    # then
    assert result.score == Decimal("48.0")
    assert str(result.score) == "48.0"
    assert result.band is None


def test_masi_at_zero_is_zero_with_one_decimal():
    # given
    components = masi_components(area=0, darkness=0, homogeneity=0)

    # when
    result = score("masi", components)

    # then
    assert str(result.score) == "0.0"


def test_masi_mixed_example_computed_by_hand():
    # given: 0.3*2*(1+2) + 0.3*4*(3+2) + 0.3*3*(2+1) + 0.1*1*(1+0) = 1.8 + 6.0 + 2.7 + 0.1
    components = MIXED_MASI

    # when
    result = score("masi", components)

    # then
    assert result == ScaleResult(
        scale="masi", score=Decimal("10.6"), band=None, components=MIXED_MASI
    )


def test_masi_weights_the_chin_by_a_tenth():
    # given: only the chin involved, at its maximum: 0.1*6*(4+4)
    components = masi_components(area=0, darkness=0, homogeneity=0)
    components |= {"chin_area": 6, "chin_darkness": 4, "chin_homogeneity": 4}

    # when
    result = score("masi", components)

    # then
    assert str(result.score) == "4.8"


def test_mmasi_at_every_maximum_is_24():
    # given
    components = mmasi_components(area=6, darkness=4)

    # when
    result = score("mmasi", components)

    # then
    assert result.score == Decimal("24.0")
    assert str(result.score) == "24.0"


def test_mmasi_mixed_example_computed_by_hand():
    # given: 0.3*2*1 + 0.3*4*3 + 0.3*3*2 + 0.1*1*1 = 0.6 + 3.6 + 1.8 + 0.1
    components = {k: v for k, v in MIXED_MASI.items() if not k.endswith("_homogeneity")}

    # when
    result = score("mmasi", components)

    # then
    assert str(result.score) == "6.1"
    assert result.band is None


def test_masi_accepts_whole_floats_and_decimals_and_normalises_them_to_ints():
    # given
    components = masi_components(area=1, darkness=1, homogeneity=1)
    components |= {"forehead_area": 2.0, "chin_darkness": Decimal("3")}

    # when
    result = score("masi", components)

    # then
    assert result.components["forehead_area"] == 2
    assert type(result.components["forehead_area"]) is int
    assert type(result.components["chin_darkness"]) is int


def test_masi_components_come_back_in_definition_order():
    # given
    components = dict(reversed(list(MIXED_MASI.items())))

    # when
    result = score("masi", components)

    # then
    assert list(result.components) == [c.key for c in get_scale("masi").components]


# --- Hexsel CSS ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (1, "mild"),
        (5, "mild"),
        (6, "moderate"),
        (10, "moderate"),
        (11, "severe"),
        (15, "severe"),
    ],
)
def test_hexsel_band_edges(total, band):
    # given
    components = hexsel_components(total)

    # when
    result = score("hexsel-css", components)

    # then
    assert result.score == total
    assert type(result.score) is int
    assert result.band == band


def test_hexsel_is_the_sum_of_its_five_items():
    # given
    components = {"depressions": 1, "depth": 2, "raised_areas": 0, "laxity": 3, "grade": 1}

    # when
    result = score("hexsel-css", components)

    # then
    assert (result.score, result.band) == (7, "moderate")


# --- single-valued numeric scales ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (1, "very much improved"),
        (2, "much improved"),
        (3, "improved"),
        (4, "no change"),
        (5, "worse"),
    ],
)
def test_gais_labels(value, label):
    # given
    components = {"score": value}

    # when
    result = score("gais", components)

    # then
    assert result == ScaleResult(scale="gais", score=value, band=label, components={"score": value})


@pytest.mark.parametrize(
    ("value", "label"), [(1, "macular"), (2, "mild"), (3, "moderate"), (4, "severe")]
)
def test_goodman_baron_grades(value, label):
    # given / when
    result = score("goodman-baron-qualitative", {"value": value})

    # then
    assert (result.score, result.band) == (value, label)


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (1, "normal"),
        (2, "widened central parting"),
        (3, "widened parting, less hair either side"),
        (4, "diffuse loss over the top of the scalp"),
        (5, "advanced hair loss"),
    ],
)
def test_sinclair_grades(value, label):
    # given / when
    result = score("sinclair", {"value": value})

    # then
    assert (result.score, result.band) == (value, label)


@pytest.mark.parametrize(
    ("value", "label"),
    [(0, "none"), (1, "mild"), (2, "moderate"), (3, "severe"), (4, "very severe")],
)
def test_wrinkle_grades(value, label):
    # given / when
    result = score("wrinkle-0-4", {"value": value})

    # then
    assert result == ScaleResult(
        scale="wrinkle-0-4", score=value, band=label, components={"value": value}
    )


def test_wrinkle_records_area_and_state_in_canonical_form():
    # given
    components = {"state": "Dynamic", "area": "crows feet", "value": 3}

    # when
    result = score("wrinkle-0-4", components)

    # then
    assert result.components == {"value": 3, "area": "crows_feet", "state": "dynamic"}
    assert list(result.components) == ["value", "area", "state"]


def test_wrinkle_refuses_an_area_outside_the_list():
    # given
    components = {"value": 2, "area": "nasolabial"}

    # when
    with pytest.raises(ScaleError) as caught:
        score("wrinkle-0-4", components)

    # then
    assert caught.value.code is ScaleErrorCode.COMPONENT_NOT_ALLOWED
    assert caught.value.message == (
        "wrinkle-0-4: component 'area' must be one of forehead, glabella, crows_feet; "
        "got 'nasolabial'."
    )


@pytest.mark.parametrize(
    ("mm", "band"),
    [
        (0, "no pain"),
        (4, "no pain"),
        (5, "mild"),
        (44, "mild"),
        (45, "moderate"),
        (74, "moderate"),
        (75, "severe"),
        (100, "severe"),
    ],
)
def test_vas_pain_bands(mm, band):
    # given / when
    result = score("vas-pain", {"mm": mm})

    # then
    assert (result.score, result.band) == (mm, band)


def test_vas_pain_records_whether_numbing_was_used_and_when():
    # given
    components = {"mm": 30, "numbing_used": True, "timing": "during"}

    # when
    result = score("vas-pain", components)

    # then
    assert result.components == {"mm": 30, "numbing_used": True, "timing": "during"}
    assert result.score == 30


@pytest.mark.parametrize("flag", [1, 0, "true", None])
def test_vas_pain_numbing_used_must_be_a_real_boolean(flag):
    # given
    components = {"mm": 30, "numbing_used": flag}

    # when
    with pytest.raises(ScaleError) as caught:
        score("vas-pain", components)

    # then
    assert caught.value.code is ScaleErrorCode.COMPONENT_NOT_ALLOWED
    assert caught.value.component == "numbing_used"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, Decimal("0")), (152, Decimal("152")), (152.5, Decimal("152.5")), (0.1, Decimal("0.1"))],
)
def test_hair_density_takes_any_non_negative_number(value, expected):
    # given / when
    result = score("hair-density", {"value": value})

    # then
    assert result.score == expected
    assert isinstance(result.score, Decimal)
    assert result.band is None


def test_hair_density_has_no_upper_limit():
    # given / when
    result = score("hair-density", {"value": 10_000})

    # then
    assert result.score == Decimal(10_000)


def test_hair_density_refuses_a_negative_count():
    # given
    components = {"value": -0.5}

    # when
    with pytest.raises(ScaleError) as caught:
        score("hair-density", components)

    # then
    assert caught.value.code is ScaleErrorCode.COMPONENT_OUT_OF_RANGE
    assert caught.value.message == (
        "hair-density: component 'value' must be a number of at least 0; got -0.5."
    )


# --- ordinal scales written as roman numerals ------------------------------------------------


@pytest.mark.parametrize(
    ("code", "raw", "canonical", "band"),
    [
        ("fitzpatrick-phototype", "III", "III", "sometimes burns, tans gradually"),
        ("fitzpatrick-phototype", "iii", "III", "sometimes burns, tans gradually"),
        ("fitzpatrick-phototype", 3, "III", "sometimes burns, tans gradually"),
        ("fitzpatrick-phototype", " VI ", "VI", "never burns, deeply pigmented"),
        ("glogau", "IV", "IV", "only wrinkles (severe photoageing)"),
        ("glogau", "2", "II", "wrinkles in motion (moderate photoageing)"),
        ("ludwig", "I", "I", "perceptible thinning of the crown"),
        ("nurnberger-muller", "0", "0", "no dimpling"),
        ("nurnberger-muller", 0, "0", "no dimpling"),
        ("nurnberger-muller", "ii", "II", "dimpling when standing"),
        ("hamilton-norwood", "IIIa", "IIIa", None),
        ("hamilton-norwood", "iii vertex", "III-vertex", None),
        ("hamilton-norwood", "III_VERTEX", "III-vertex", None),
        ("hamilton-norwood", "3a", "IIIa", None),
        ("hamilton-norwood", 7, "VII", None),
    ],
)
def test_roman_ordinal_scales_accept_numerals_in_any_case_and_arabic_form(
    code, raw, canonical, band
):
    # given
    components = {"value": raw}

    # when
    result = score(code, components)

    # then
    assert result == ScaleResult(
        scale=code, score=canonical, band=band, components={"value": canonical}
    )


@pytest.mark.parametrize(
    ("code", "raw"),
    [
        ("fitzpatrick-phototype", "VII"),
        ("fitzpatrick-phototype", 7),
        ("fitzpatrick-phototype", 0),
        ("glogau", "V"),
        ("ludwig", "IV"),
        ("nurnberger-muller", "IV"),
        ("hamilton-norwood", "IIb"),
        ("hamilton-norwood", "VIIa"),
        ("hamilton-norwood", 3.0),
        ("ludwig", None),
    ],
)
def test_roman_ordinal_scales_refuse_values_outside_the_list(code, raw):
    # given
    components = {"value": raw}

    # when
    with pytest.raises(ScaleError) as caught:
        score(code, components)

    # then
    assert caught.value.code is ScaleErrorCode.COMPONENT_NOT_ALLOWED
    assert caught.value.component == "value"
    assert caught.value.details["allowed_values"] == list(get_scale(code).components[0].values)


def test_hamilton_norwood_lists_every_type_in_domain_order():
    # given
    component = get_scale("hamilton-norwood").components[0]

    # when
    values = component.values

    # then
    assert values == (
        "I", "II", "IIa", "III", "IIIa", "III-vertex", "IV", "IVa", "V", "Va", "VI", "VII"
    )  # fmt: skip


# --- validation errors ---------------------------------------------------------------------


def test_score_rejects_an_unknown_scale():
    # given
    components = {"value": 1}

    # when
    with pytest.raises(ScaleError) as caught:
        score("tewl", components)

    # then
    assert caught.value.code is ScaleErrorCode.UNKNOWN_SCALE
    assert caught.value.code == "unknown_scale"


def test_missing_component_names_it_and_its_range():
    # given
    components = dict(MIXED_MASI)
    del components["chin_homogeneity"]

    # when
    with pytest.raises(ScaleError) as caught:
        score("masi", components)

    # then
    error = caught.value
    assert error.code is ScaleErrorCode.MISSING_COMPONENT
    assert error.scale == "masi"
    assert error.component == "chin_homogeneity"
    assert error.message == (
        "masi: component 'chin_homogeneity' is missing; it must be a whole number from 0 to 4."
    )
    assert error.details == {
        "component": "chin_homogeneity",
        "allowed": "a whole number from 0 to 4",
        "minimum": 0,
        "maximum": 4,
    }


def test_optional_components_may_be_left_out():
    # given
    components = {"mm": 12}

    # when
    result = score("vas-pain", components)

    # then
    assert result.components == {"mm": 12}


def test_unknown_component_is_refused_naming_the_expected_keys():
    # given: homogeneity belongs to MASI, not mMASI
    components = mmasi_components(area=1, darkness=1) | {"forehead_homogeneity": 1}

    # when
    with pytest.raises(ScaleError) as caught:
        score("mmasi", components)

    # then
    error = caught.value
    assert error.code is ScaleErrorCode.UNKNOWN_COMPONENT
    assert error.component == "forehead_homogeneity"
    assert error.message.startswith(
        "mmasi: unknown component 'forehead_homogeneity'; expected chin_area, chin_darkness, "
    )
    assert error.details["allowed_components"] == sorted(
        c.key for c in get_scale("mmasi").components
    )


def test_unknown_component_is_reported_before_missing_ones():
    # given: a typo makes one key unknown and leaves the real one missing
    components = {"scroe": 2}

    # when
    with pytest.raises(ScaleError) as caught:
        score("gais", components)

    # then
    assert caught.value.code is ScaleErrorCode.UNKNOWN_COMPONENT
    assert caught.value.component == "scroe"


@pytest.mark.parametrize(
    ("code", "key", "value", "allowed"),
    [
        ("masi", "forehead_area", 7, "a whole number from 0 to 6"),
        ("masi", "forehead_area", -1, "a whole number from 0 to 6"),
        ("masi", "left_malar_darkness", 5, "a whole number from 0 to 4"),
        ("masi", "chin_homogeneity", 5, "a whole number from 0 to 4"),
        ("hexsel-css", "grade", 4, "a whole number from 0 to 3"),
        ("gais", "score", 0, "a whole number from 1 to 5"),
        ("gais", "score", 6, "a whole number from 1 to 5"),
        ("vas-pain", "mm", 101, "a whole number from 0 to 100"),
        ("wrinkle-0-4", "value", 5, "a whole number from 0 to 4"),
        ("goodman-baron-qualitative", "value", 0, "a whole number from 1 to 4"),
        ("sinclair", "value", 6, "a whole number from 1 to 5"),
        ("hair-density", "value", -1, "a number of at least 0"),
    ],
)
def test_component_out_of_range_names_the_component_and_its_range(code, key, value, allowed):
    # given
    components = _valid_components(code) | {key: value}

    # when
    with pytest.raises(ScaleError) as caught:
        score(code, components)

    # then
    error = caught.value
    assert error.code is ScaleErrorCode.COMPONENT_OUT_OF_RANGE
    assert error.component == key
    assert error.message == f"{code}: component '{key}' must be {allowed}; got {value!r}."


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (2.5, " (not a whole number)"),
        (Decimal("1.5"), " (not a whole number)"),
        ("3", ""),
        (None, ""),
        (float("nan"), ""),
        (float("inf"), ""),
        (Decimal("NaN"), ""),
        ([3], ""),
    ],
)
def test_component_of_the_wrong_kind_is_not_allowed(value, why):
    # given
    components = masi_components(1, 1, 1) | {"forehead_area": value}

    # when
    with pytest.raises(ScaleError) as caught:
        score("masi", components)

    # then
    error = caught.value
    assert error.code is ScaleErrorCode.COMPONENT_NOT_ALLOWED
    assert error.component == "forehead_area"
    assert error.message == (
        f"masi: component 'forehead_area' must be a whole number from 0 to 6; got {value!r}{why}."
    )


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("masi", "forehead_area"),
        ("mmasi", "chin_darkness"),
        ("hexsel-css", "depth"),
        ("gais", "score"),
        ("vas-pain", "mm"),
        ("hair-density", "value"),
        ("wrinkle-0-4", "value"),
        ("goodman-baron-qualitative", "value"),
        ("sinclair", "value"),
        ("fitzpatrick-phototype", "value"),
        ("hamilton-norwood", "value"),
        ("nurnberger-muller", "value"),
        ("wrinkle-0-4", "area"),
    ],
)
@pytest.mark.parametrize("flag", [True, False])
def test_booleans_never_pass_as_numbers_or_categories(code, key, flag):
    # given
    components = _valid_components(code) | {key: flag}

    # when
    with pytest.raises(ScaleError) as caught:
        score(code, components)

    # then
    assert caught.value.code is ScaleErrorCode.COMPONENT_NOT_ALLOWED
    assert caught.value.component == key


def test_boolean_refusal_says_why():
    # given
    components = {"score": True}

    # when
    with pytest.raises(ScaleError) as caught:
        score("gais", components)

    # then
    assert caught.value.message == (
        "gais: component 'score' must be a whole number from 1 to 5; got True "
        "(a boolean is not accepted)."
    )


def test_scale_error_is_a_value_error():
    # given
    components = {"mm": 250}

    # when
    with pytest.raises(ValueError, match="must be a whole number from 0 to 100") as caught:
        score("vas-pain", components)

    # then
    assert isinstance(caught.value, ScaleError)


@pytest.mark.parametrize("code", list(SCALES))
def test_every_scale_scores_its_reference_components(code):
    # given
    components = _valid_components(code)

    # when
    result = score(code, components)

    # then
    assert result.scale == code
    assert set(result.components) == set(components)


# --- ordinal ranks -------------------------------------------------------------------------


def test_ordinal_rank_follows_the_hamilton_norwood_order():
    # given
    values = get_scale("hamilton-norwood").components[0].values

    # when
    ranks = [ordinal_rank("hamilton-norwood", value) for value in values]

    # then
    assert ranks == list(range(12))
    assert ordinal_rank("hamilton-norwood", "III") < ordinal_rank("hamilton-norwood", "iiia")


@pytest.mark.parametrize(
    ("code", "value", "rank"),
    [
        ("gais", 1, 0),
        ("gais", 5, 4),
        ("fitzpatrick-phototype", "I", 0),
        ("fitzpatrick-phototype", 3, 2),
        ("glogau", "iv", 3),
        ("nurnberger-muller", "0", 0),
        ("nurnberger-muller", "III", 3),
        ("ludwig", "II", 1),
        ("goodman-baron-qualitative", 4, 3),
        ("sinclair", 1, 0),
        ("wrinkle-0-4", 0, 0),
        ("wrinkle-0-4", 4.0, 4),
    ],
)
def test_ordinal_rank_counts_positions_from_zero(code, value, rank):
    # given / when
    result = ordinal_rank(code, value)

    # then
    assert result == rank


@pytest.mark.parametrize("code", ["masi", "mmasi", "hexsel-css", "hair-density", "vas-pain"])
def test_ordinal_rank_refuses_continuous_and_composite_scales(code):
    # given / when
    with pytest.raises(ScaleError) as caught:
        ordinal_rank(code, 1)

    # then
    assert caught.value.code is ScaleErrorCode.NOT_ORDINAL


@pytest.mark.parametrize(("code", "value"), [("ludwig", "IV"), ("gais", True), ("gais", 6)])
def test_ordinal_rank_validates_the_value(code, value):
    # given / when
    with pytest.raises(ScaleError) as caught:
        ordinal_rank(code, value)

    # then
    assert caught.value.code in (
        ScaleErrorCode.COMPONENT_NOT_ALLOWED,
        ScaleErrorCode.COMPONENT_OUT_OF_RANGE,
    )


def test_ordinal_rank_rejects_an_unknown_scale():
    # given / when
    with pytest.raises(ScaleError) as caught:
        ordinal_rank("norwood", "III")

    # then
    assert caught.value.code is ScaleErrorCode.UNKNOWN_SCALE


# --- primary scale per indication ----------------------------------------------------------


@pytest.mark.parametrize(
    ("treatment", "scale_code"),
    [
        ("pigmentation", "mmasi"),
        ("acne-scars", "goodman-baron-qualitative"),
        ("body-cellulite", "hexsel-css"),
        ("scalp-hair", "hair-density"),
        ("mesotox", "wrinkle-0-4"),
        ("face-revitalise", "gais"),
        ("under-eye", "gais"),
        ("chin-jowl-fat", "gais"),
        ("no-needle-infusion", "gais"),
    ],
)
def test_primary_scale_per_treatment(treatment, scale_code):
    # given / when
    scale = primary_scale_for(treatment)

    # then
    assert scale is not None
    assert scale.code == scale_code
    assert scale.is_outcome


def test_primary_scales_are_outcome_scales_with_a_direction():
    # given / when
    scales = [SCALES[code] for code in PRIMARY_SCALE_BY_INDICATION.values()]

    # then
    assert all(scale.is_outcome for scale in scales)
    assert all(scale.direction is not Direction.NOT_APPLICABLE for scale in scales)


def test_scalp_hair_primary_scale_improves_upwards():
    # given / when
    scale = primary_scale_for("scalp-hair")

    # then
    assert scale is not None
    assert scale.direction is Direction.HIGHER_IS_BETTER


def test_unknown_treatment_has_no_primary_scale():
    # given / when
    scale = primary_scale_for("laser-resurfacing")

    # then
    assert scale is None


# --- properties ----------------------------------------------------------------------------


def _components_strategy(code: str) -> st.SearchStrategy[dict[str, int]]:
    scale = get_scale(code)
    return st.fixed_dictionaries(
        {
            c.key: st.integers(min_value=c.minimum or 0, max_value=c.maximum or 0)
            for c in scale.components
        }
    )


def _raised_by_one(code: str, components: dict[str, int], key: str) -> dict[str, int]:
    component = get_scale(code).component(key)
    assert component is not None
    assert component.maximum is not None
    return components | {key: min(component.maximum, components[key] + 1)}


@pytest.mark.parametrize(("code", "maximum"), [("masi", 48), ("mmasi", 24)])
@given(data=st.data())
def test_masi_and_mmasi_are_monotone_in_each_component(code, maximum, data):
    # given
    components = data.draw(_components_strategy(code))
    key = data.draw(st.sampled_from(sorted(components)))
    raised = _raised_by_one(code, components, key)

    # when
    before = score(code, components).score
    after = score(code, raised).score

    # then
    assert isinstance(before, Decimal)
    assert isinstance(after, Decimal)
    assert Decimal(0) <= before <= after <= Decimal(maximum)


@pytest.mark.parametrize(("code", "maximum"), [("masi", 48), ("mmasi", 24)])
@given(data=st.data())
def test_masi_and_mmasi_stay_within_range_with_one_decimal(code, maximum, data):
    # given
    components = data.draw(_components_strategy(code))

    # when
    total = score(code, components).score

    # then
    assert isinstance(total, Decimal)
    assert Decimal(0) <= total <= Decimal(maximum)
    assert total.as_tuple().exponent == -1


@given(components=_components_strategy("masi"))
def test_mmasi_never_exceeds_masi_for_the_same_area_and_darkness(components):
    # given
    without_homogeneity = {k: v for k, v in components.items() if not k.endswith("homogeneity")}

    # when
    masi = score("masi", components).score
    mmasi = score("mmasi", without_homogeneity).score

    # then
    assert isinstance(masi, Decimal)
    assert isinstance(mmasi, Decimal)
    assert mmasi <= masi


@given(components=_components_strategy("hexsel-css"))
def test_hexsel_score_is_the_item_sum_and_its_band_matches(components):
    # given
    total = sum(components.values())
    expected_band = (
        "none" if total == 0 else "mild" if total <= 5 else "moderate" if total <= 10 else "severe"
    )

    # when
    result = score("hexsel-css", components)

    # then
    assert (result.score, result.band) == (total, expected_band)


@given(components=_components_strategy("masi"))
def test_scoring_normalised_components_again_gives_the_same_result(components):
    # given
    first = score("masi", components)

    # when
    second = score("masi", first.components)

    # then
    assert second == first


# --- helpers -------------------------------------------------------------------------------


def _valid_components(code: str) -> dict[str, object]:
    """A valid assessment for each scale, used as a base for one-change error tests."""
    reference: dict[str, dict[str, object]] = {
        "gais": {"score": 2},
        "fitzpatrick-phototype": {"value": "II"},
        "glogau": {"value": "II"},
        "masi": dict(MIXED_MASI),
        "mmasi": mmasi_components(area=2, darkness=2),
        "hexsel-css": hexsel_components(7),
        "nurnberger-muller": {"value": "I"},
        "goodman-baron-qualitative": {"value": 2},
        "hamilton-norwood": {"value": "IIIa"},
        "ludwig": {"value": "I"},
        "sinclair": {"value": 2},
        "hair-density": {"value": 160},
        "wrinkle-0-4": {"value": 2, "area": "glabella", "state": "rest"},
        "vas-pain": {"mm": 20, "numbing_used": False, "timing": "after"},
    }
    return reference[code]
