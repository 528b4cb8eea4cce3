"""Every scale the product knows, as data (domain.md §6), and the primary outcome scale
of each indication; with the small builders the definitions are written in."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from mesoclinic.records.scales.definitions import (
    AllowedValue,
    Band,
    ComponentDefinition,
    ComponentKind,
    Direction,
    ScaleDefinition,
)

# --- building blocks for the registry ---------------------------------------------------


def _integer(key: str, label: str, minimum: int, maximum: int) -> ComponentDefinition:
    return ComponentDefinition(key, label, ComponentKind.INTEGER, minimum, maximum)


def _categories(*pairs: tuple[str, str]) -> tuple[AllowedValue, ...]:
    return tuple(AllowedValue(value, label) for value, label in pairs)


def _ordinal(key: str, label: str, *pairs: tuple[str, str]) -> ComponentDefinition:
    return ComponentDefinition(
        key, label, ComponentKind.ORDINAL, allowed_values=_categories(*pairs)
    )


def _choice(key: str, label: str, *pairs: tuple[str, str]) -> ComponentDefinition:
    return ComponentDefinition(
        key, label, ComponentKind.CHOICE, allowed_values=_categories(*pairs), required=False
    )


def _bands(*rows: tuple[int, int, str]) -> tuple[Band, ...]:
    return tuple(Band(minimum, maximum, label) for minimum, maximum, label in rows)


MASI_REGIONS: tuple[tuple[str, str, Decimal], ...] = (
    ("forehead", "Forehead", Decimal("0.3")),
    ("left_malar", "Left malar", Decimal("0.3")),
    ("right_malar", "Right malar", Decimal("0.3")),
    ("chin", "Chin", Decimal("0.1")),
)
_AREA_LABEL = "area (0 none, 1 <10%, 2 10-29%, 3 30-49%, 4 50-69%, 5 70-89%, 6 90-100%)"


def _masi_components(*, with_homogeneity: bool) -> tuple[ComponentDefinition, ...]:
    components: list[ComponentDefinition] = []
    for region, region_label, _weight in MASI_REGIONS:
        components.append(_integer(f"{region}_area", f"{region_label} {_AREA_LABEL}", 0, 6))
        components.append(_integer(f"{region}_darkness", f"{region_label} darkness (0-4)", 0, 4))
        if with_homogeneity:
            components.append(
                _integer(f"{region}_homogeneity", f"{region_label} homogeneity (0-4)", 0, 4)
            )
    return tuple(components)


def _roman_ordinal_value(label: str, *pairs: tuple[str, str]) -> ComponentDefinition:
    return _ordinal("value", label, *pairs)


_SCALE_LIST: tuple[ScaleDefinition, ...] = (
    ScaleDefinition(
        code="gais",
        name="Global Aesthetic Improvement Scale",
        description="Improvement compared with before treatment, rated by the practitioner "
        "and by the client: 1 very much improved to 5 worse.",
        source="Narins RS et al., Dermatol Surg 2003;29:588-595",
        components=(_integer("score", "GAIS score (1 very much improved - 5 worse)", 1, 5),),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="score",
        score_minimum=1,
        score_maximum=5,
        bands=_bands(
            (1, 1, "very much improved"),
            (2, 2, "much improved"),
            (3, 3, "improved"),
            (4, 4, "no change"),
            (5, 5, "worse"),
        ),
    ),
    ScaleDefinition(
        code="fitzpatrick-phototype",
        name="Fitzpatrick skin phototype",
        description="Sun-reactive skin type I-VI, recorded at baseline.",
        source="Fitzpatrick TB, Arch Dermatol 1988;124:869-871",
        components=(
            _roman_ordinal_value(
                "Skin phototype (I-VI)",
                ("I", "always burns, never tans"),
                ("II", "usually burns, tans minimally"),
                ("III", "sometimes burns, tans gradually"),
                ("IV", "burns minimally, always tans well"),
                ("V", "rarely burns, tans darkly"),
                ("VI", "never burns, deeply pigmented"),
            ),
        ),
        direction=Direction.NOT_APPLICABLE,
        is_baseline=True,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="glogau",
        name="Glogau photoageing classification",
        description="Degree of photoageing I-IV, recorded at baseline.",
        source="Glogau RG, Semin Cutan Med Surg 1996;15:134-138",
        components=(
            _roman_ordinal_value(
                "Photoageing type (I-IV)",
                ("I", "no wrinkles (mild photoageing)"),
                ("II", "wrinkles in motion (moderate photoageing)"),
                ("III", "wrinkles at rest (advanced photoageing)"),
                ("IV", "only wrinkles (severe photoageing)"),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_baseline=True,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="masi",
        name="Melasma Area and Severity Index",
        description="0.3·A_f(D_f+H_f) + 0.3·A_lm(D_lm+H_lm) + 0.3·A_rm(D_rm+H_rm) "
        "+ 0.1·A_c(D_c+H_c); 0-48, one decimal place.",
        source="Kimbrough-Green CK et al., Arch Dermatol 1994;130:727-733",
        components=_masi_components(with_homogeneity=True),
        direction=Direction.LOWER_IS_BETTER,
        score_minimum=0,
        score_maximum=48,
    ),
    ScaleDefinition(
        code="mmasi",
        name="Modified Melasma Area and Severity Index",
        description="MASI without homogeneity: 0.3·A_f·D_f + 0.3·A_lm·D_lm + 0.3·A_rm·D_rm "
        "+ 0.1·A_c·D_c; 0-24, one decimal place.",
        source="Pandya AG et al., J Am Acad Dermatol 2011;64:78-83",
        components=_masi_components(with_homogeneity=False),
        direction=Direction.LOWER_IS_BETTER,
        score_minimum=0,
        score_maximum=24,
    ),
    ScaleDefinition(
        code="hexsel-css",
        name="Hexsel Cellulite Severity Scale",
        description="Sum of five items each 0-3: number of depressions, depth, raised areas, "
        "laxity/sagging, Nürnberger-Müller grade; 0-15.",
        source="Hexsel DM et al., J Eur Acad Dermatol Venereol 2009;23:523-528",
        components=(
            _integer("depressions", "Number of evident depressions (0-3)", 0, 3),
            _integer("depth", "Depth of depressions (0-3)", 0, 3),
            _integer("raised_areas", "Raised areas / morphological appearance (0-3)", 0, 3),
            _integer("laxity", "Laxity, flaccidity or sagging (0-3)", 0, 3),
            _integer("grade", "Nürnberger-Müller grade (0-3)", 0, 3),
        ),
        direction=Direction.LOWER_IS_BETTER,
        score_minimum=0,
        score_maximum=15,
        bands=_bands((0, 0, "none"), (1, 5, "mild"), (6, 10, "moderate"), (11, 15, "severe")),
    ),
    ScaleDefinition(
        code="nurnberger-muller",
        name="Nürnberger-Müller cellulite grade",
        description="Cellulite grade 0-III by when dimpling shows.",
        source="Nürnberger F, Müller G, J Dermatol Surg Oncol 1978;4:221-229",
        components=(
            _roman_ordinal_value(
                "Cellulite grade (0-III)",
                ("0", "no dimpling"),
                ("I", "dimpling on pinch only"),
                ("II", "dimpling when standing"),
                ("III", "dimpling when standing and lying"),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="goodman-baron-qualitative",
        name="Goodman-Baron qualitative acne scar grading",
        description="Acne scarring grade 1 macular, 2 mild, 3 moderate, 4 severe.",
        source="Goodman GJ, Baron JA, Dermatol Surg 2006;32:1458-1466",
        components=(_integer("value", "Scar grade (1 macular - 4 severe)", 1, 4),),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
        score_minimum=1,
        score_maximum=4,
        bands=_bands((1, 1, "macular"), (2, 2, "mild"), (3, 3, "moderate"), (4, 4, "severe")),
    ),
    ScaleDefinition(
        code="hamilton-norwood",
        name="Hamilton-Norwood male pattern hair loss",
        description="Male pattern hair loss type I to VII with the a and vertex variants, "
        "ordered as listed (variants sit after their base type).",
        source="Norwood OT, South Med J 1975;68:1359-1365; Hamilton JB, Ann N Y Acad Sci "
        "1951;53:708-728",
        components=(
            _roman_ordinal_value(
                "Hamilton-Norwood type",
                *(
                    (value, "")
                    for value in (
                        "I",
                        "II",
                        "IIa",
                        "III",
                        "IIIa",
                        "III-vertex",
                        "IV",
                        "IVa",
                        "V",
                        "Va",
                        "VI",
                        "VII",
                    )
                ),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="ludwig",
        name="Ludwig female pattern hair loss",
        description="Female pattern hair loss grade I-III.",
        source="Ludwig E, Br J Dermatol 1977;97:247-254",
        components=(
            _roman_ordinal_value(
                "Ludwig grade (I-III)",
                ("I", "perceptible thinning of the crown"),
                ("II", "pronounced thinning of the crown"),
                ("III", "full baldness of the crown"),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="sinclair",
        name="Sinclair female pattern hair loss",
        description="Five-point visual grade of the central parting, 1 normal to 5 advanced.",
        source="Sinclair R et al., J Am Acad Dermatol 2004;51:189-199",
        components=(_integer("value", "Sinclair grade (1-5)", 1, 5),),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
        score_minimum=1,
        score_maximum=5,
        bands=_bands(
            (1, 1, "normal"),
            (2, 2, "widened central parting"),
            (3, 3, "widened parting, less hair either side"),
            (4, 4, "diffuse loss over the top of the scalp"),
            (5, 5, "advanced hair loss"),
        ),
    ),
    ScaleDefinition(
        code="hair-density",
        name="Hair density",
        description="Hairs per cm² counted by trichoscopy / phototrichogram; objective.",
        source="Trichoscopic or phototrichogram count (objective measure, no grading source)",
        components=(
            ComponentDefinition(
                "value", "Hairs per cm²", ComponentKind.NUMBER, minimum=0, maximum=None
            ),
        ),
        direction=Direction.HIGHER_IS_BETTER,
        score_component="value",
        score_minimum=0,
    ),
    ScaleDefinition(
        code="wrinkle-0-4",
        name="Five-point photonumeric wrinkle scale",
        description="Wrinkle severity 0 none to 4 very severe, per area (forehead, glabella, "
        "crow's feet), at rest or dynamic.",
        source="Carruthers A et al., Dermatol Surg 2008;34 Suppl 2:S161-S166 and companion "
        "photonumeric scales",
        components=(
            _integer("value", "Wrinkle grade (0 none - 4 very severe)", 0, 4),
            _choice(
                "area",
                "Area rated",
                ("forehead", "forehead lines"),
                ("glabella", "glabellar lines"),
                ("crows_feet", "crow's feet"),
            ),
            _choice(
                "state", "Rated at rest or dynamic", ("rest", "at rest"), ("dynamic", "dynamic")
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
        score_minimum=0,
        score_maximum=4,
        bands=_bands(
            (0, 0, "none"),
            (1, 1, "mild"),
            (2, 2, "moderate"),
            (3, 3, "severe"),
            (4, 4, "very severe"),
        ),
    ),
    ScaleDefinition(
        code="vas-pain",
        name="Visual analogue scale for pain",
        description="Pain in whole millimetres on a 100 mm line, during or after the session; "
        "note whether numbing cream was used.",
        source="Hawker GA et al., Arthritis Care Res 2011;63 Suppl 11:S240-S252 (bands)",
        components=(
            _integer("mm", "Pain (0-100 mm)", 0, 100),
            ComponentDefinition(
                "numbing_used", "Numbing cream used", ComponentKind.BOOLEAN, required=False
            ),
            _choice("timing", "When pain was rated", ("during", "during"), ("after", "after")),
        ),
        direction=Direction.LOWER_IS_BETTER,
        score_component="mm",
        score_minimum=0,
        score_maximum=100,
        bands=_bands((0, 4, "no pain"), (5, 44, "mild"), (45, 74, "moderate"), (75, 100, "severe")),
    ),
)

SCALES: Mapping[str, ScaleDefinition] = MappingProxyType({s.code: s for s in _SCALE_LIST})
"""Every scale, keyed by code, in the order of domain.md §6."""

PRIMARY_SCALE_BY_INDICATION: Mapping[str, str] = MappingProxyType(
    {
        # domain.md §1 names these three outright.
        "pigmentation": "mmasi",
        "acne-scars": "goodman-baron-qualitative",
        "body-cellulite": "hexsel-css",
        # Objective and sex-neutral (Hamilton-Norwood / Ludwig / Sinclair depend on sex);
        # higher is better, which maintenance honours through Direction.
        "scalp-hair": "hair-density",
        # Toxin micro-doses act on forehead, glabellar and crow's-feet lines: the wrinkle scale.
        "mesotox": "wrinkle-0-4",
        # Hydration, glow, under-eye hollows and submental fat have no scale in §6: GAIS.
        "face-revitalise": "gais",
        "under-eye": "gais",
        "chin-jowl-fat": "gais",
        "no-needle-infusion": "gais",
    }
)
"""Primary outcome scale per treatment code (the indication), used for adaptive maintenance."""
