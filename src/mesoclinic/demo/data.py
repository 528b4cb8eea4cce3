"""The demo clinic as data. Every person here is fictional; formulations are illustrative."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from mesoclinic.demo import polyrevitalising

DEMO_PASSWORD = "mesoclinic-demo"  # noqa: S105 -- the demo's published password (README)

ORGANISATION = {"code": "mesoclinic-demo", "name": "Mesoclinic Demo Ltd"}

SITE = {
    "code": "london",
    "name": "Mesoclinic London",
    "time_zone": "Europe/London",
    "address": "1 Example Mews, London W1A 0AA (fictional)",
    "phone": "020 7946 0000",
    "holiday_country": "GB",
    "holiday_subdivision": "ENG",
    "numbing_lounge_capacity": 3,
}
OPEN_WEEKDAYS = range(6)  # Monday to Saturday
OPENS, CLOSES = dt.time(9, 0), dt.time(18, 0)

ROOMS = [("room-1", "Room 1"), ("room-2", "Room 2"), ("room-3", "Room 3")]
DEVICES = [
    ("vital-injector", "Vital Injector", "vital-injector"),
    ("dermafrac", "DermaFrac", "dermafrac"),
    ("collagen-pin", "Collagen PIN", "collagen-pin"),
    ("electroporation-wand", "Electroporation wand", "electroporation-wand"),
    ("mesotherapy-gun", "Mesotherapy gun", "mesotherapy-gun"),
    ("microneedling-roller", "Microneedling roller", "microneedling-roller"),
]
"""One device of every kind domain.md names, each used by a demo treatment (issue #19)."""

MON_FRI = range(5)
TUE_SAT = range(1, 6)
MON_SAT = range(6)

# (code, title, given, family, profession, body, number, registration years from today
#  (negative = expired), prescriber qualification, weekdays)
PRACTITIONERS = [
    (
        "dr-patel",
        "Dr",
        "Asha",
        "Patel",
        "doctor",
        "GMC",
        "7654321",
        2,
        "Doctor (independent prescriber)",
        MON_FRI,
    ),
    (
        "nurse-okafor",
        "",
        "Grace",
        "Okafor",
        "nurse",
        "NMC",
        "12A3456E",
        1,
        "Nurse independent prescriber (V300)",
        TUE_SAT,
    ),
    ("nurse-lewis", "", "Megan", "Lewis", "nurse", "NMC", "15B7890E", 1, "", MON_FRI),
    ("nurse-hughes", "", "Rhys", "Hughes", "nurse", "NMC", "09C2468E", -1, "", MON_FRI),
    ("therapist-ng", "", "Lily", "Ng", "therapist", "", "", 0, "", MON_SAT),
]

ALLERGEN_GROUPS = [
    (
        "amide-local-anaesthetics",
        "Amide local anaesthetics",
        ["lidocaine", "lignocaine", "prilocaine", "articaine", "bupivacaine", "local anaesthetic"],
    ),
    ("soy", "Soy", ["soya", "soybean", "soy lecithin"]),
    ("hyaluronic-acid", "Hyaluronic acid", ["hyaluronan", "sodium hyaluronate"]),
    ("botulinum-toxin", "Botulinum toxin", ["botox", "toxin"]),
    ("sulfites", "Sulfites", ["sulphites", "sodium metabisulfite"]),
    *polyrevitalising.ALLERGEN_GROUPS,
]

# (code, name, class, synonyms, allergen group codes)
INGREDIENTS = [
    (
        "hyaluronic-acid",
        "Hyaluronic acid (non-cross-linked)",
        "glycosaminoglycan",
        ["sodium hyaluronate", "HA"],
        ["hyaluronic-acid"],
    ),
    ("vitamin-c", "Ascorbic acid (vitamin C)", "vitamin", ["ascorbic acid"], []),
    ("vitamin-b-complex", "Vitamin B complex", "vitamin", ["B vitamins"], []),
    ("amino-acid-complex", "Amino acid complex", "amino acid", ["amino acids"], []),
    ("glutathione", "Glutathione", "antioxidant", [], []),
    ("copper-peptide", "Copper tripeptide-1", "peptide", ["GHK-Cu"], []),
    ("growth-factors", "Growth factor complex", "growth factor", ["EGF", "FGF"], []),
    ("zinc", "Zinc", "trace element", [], []),
    ("silicon", "Organic silicon", "trace element", ["silicium"], []),
    (
        "lidocaine",
        "Lidocaine hydrochloride",
        "local anaesthetic",
        ["lignocaine"],
        ["amide-local-anaesthetics"],
    ),
    ("tranexamic-acid", "Tranexamic acid", "depigmenting agent", ["TXA"], []),
    ("deoxycholic-acid", "Deoxycholic acid", "lipolytic", [], []),
    (
        "phosphatidylcholine-soy",
        "Phosphatidylcholine (soy-derived)",
        "lipolytic",
        ["PPC", "lecithin"],
        ["soy"],
    ),
    ("caffeine", "Caffeine", "lipolytic", [], []),
    ("biotin", "Biotin", "vitamin", ["vitamin B7"], []),
    ("botulinum-toxin-a", "Botulinum toxin type A", "neurotoxin", ["BoNT-A"], ["botulinum-toxin"]),
    ("sodium-metabisulfite", "Sodium metabisulfite", "preservative", [], ["sulfites"]),
    *polyrevitalising.INGREDIENTS,
]

# (code, name, ingredient codes, contains toxin, regulatory class, unit)
FORMULATIONS = [
    (
        "revitalise-cocktail",
        "Revitalise cocktail (illustrative)",
        [
            "hyaluronic-acid",
            "vitamin-c",
            "vitamin-b-complex",
            "amino-acid-complex",
            "glutathione",
            "zinc",
            "silicon",
            "lidocaine",
        ],
        False,
        "medical-device",
        "mL",
    ),
    (
        "under-eye-light",
        "Under-eye light HA (illustrative)",
        ["hyaluronic-acid", "amino-acid-complex", "copper-peptide"],
        False,
        "medical-device",
        "mL",
    ),
    (
        "brightening-txa",
        "Brightening TXA cocktail (illustrative)",
        ["tranexamic-acid", "vitamin-c", "glutathione", "hyaluronic-acid"],
        False,
        "cosmetic",
        "mL",
    ),
    (
        "scar-repair",
        "Scar repair cocktail (illustrative)",
        ["hyaluronic-acid", "growth-factors", "copper-peptide", "glutathione", "lidocaine"],
        False,
        "medical-device",
        "mL",
    ),
    (
        "hair-scalp",
        "Scalp cocktail (illustrative)",
        ["biotin", "amino-acid-complex", "copper-peptide", "zinc", "growth-factors"],
        False,
        "cosmetic",
        "mL",
    ),
    (
        "lipo-contour",
        "Lipo contour (illustrative, deoxycholic-acid type)",
        ["deoxycholic-acid", "phosphatidylcholine-soy", "sodium-metabisulfite"],
        False,
        "pom",
        "mL",
    ),
    (
        "cellulite-lipolytic",
        "Cellulite lipolytic cocktail (illustrative)",
        ["caffeine", "phosphatidylcholine-soy", "silicon", "lidocaine"],
        False,
        "cosmetic",
        "mL",
    ),
    (
        "mesotox-blend",
        "MesoTox blend (illustrative: HA with micro-dose botulinum toxin A)",
        ["hyaluronic-acid", "botulinum-toxin-a"],
        True,
        "pom",
        "U",
    ),
    (
        polyrevitalising.FORMULATION_CODE,
        polyrevitalising.FORMULATION_NAME,
        polyrevitalising.FORMULATION_INGREDIENTS,
        False,
        "medical-device",
        "mL",
    ),
    (
        "electro-serum",
        "Electroporation serum (illustrative)",
        ["hyaluronic-acid", "vitamin-c", "amino-acid-complex"],
        False,
        "cosmetic",
        "mL",
    ),
]

# (protocol code, name, phases: (name, count, gap, tolerance, min gap))
PhaseSpec = tuple[str, int | None, int, int, int | None]
PROTOCOLS: list[tuple[str, str, list[PhaseSpec]]] = [
    (
        "meso-standard",
        "Mesotherapy standard course",
        [
            ("weekly", 4, 7, 1, None),
            ("fortnightly", 2, 14, 2, None),
            ("monthly", 4, 28, 3, None),
            ("maintenance", None, 91, 7, None),
        ],
    ),
    (
        "meso-twice-weekly",
        "Mesotherapy course with a twice-weekly month",
        [
            ("weekly", 4, 7, 1, None),
            ("twice weekly", 8, 3, 1, None),
            ("monthly", 4, 28, 3, None),
            ("maintenance", None, 91, 7, None),
        ],
    ),
    ("fat-dissolving", "Fat dissolving course", [("sessions", 6, 42, 14, None)]),
    (
        "cellulite-weekly",
        "Cellulite weekly course",
        [("weekly", 6, 7, 1, None), ("maintenance", None, 91, 14, None)],
    ),
    ("toxin-quarterly", "Toxin every three months", [("quarterly", None, 91, 14, 84)]),
    ("single", "Single session", [("single", 1, 0, 0, None)]),
]

PROTOCOL_NOTES = {
    "meso-standard": (
        "The default: weekly for a month, then every two weeks for a month, then every four "
        "weeks, then a top-up every three months. Reads the article's second month as "
        "fortnightly sessions."
    ),
    "meso-twice-weekly": (
        "For clinics that read the article's second month literally: weekly for a month, then "
        "twice a week (every 3-4 days) for a month, then every four weeks, then a top-up every "
        "three months. Sixteen sessions before maintenance instead of ten."
    ),
}
"""Why a clinic would choose each protocol, shown with it."""

INJECTABLE_EFFECTS = [
    "Tiny purple dots at the injection points: expected, they fade within a day or two.",
    "Mild redness and tenderness for a few hours.",
    "Occasional small bruises; larger bruising is uncommon.",
]


def _device_treatment(
    code: str, name: str, base: str, device_type: str, formulation: str, description: str
) -> dict[str, Any]:
    """A treatment of domain.md §1 given with one of the clinic's devices (issue #19)."""
    spec = dict(next(t for t in _BASE_TREATMENTS if t["code"] == base))
    return spec | {
        "code": code,
        "name": name,
        "device_type": device_type,
        "formulation": formulation,
        "description": description,
    }


# Treatments of domain.md §1; `formulation` and `protocol` name the defaults by code.
_BASE_TREATMENTS: list[dict[str, Any]] = [
    {
        "code": "face-revitalise",
        "name": "Face revitalise",
        "areas": ["face"],
        "treatment_minutes": 30,
        "numbing_minutes": 30,
        "price": "300",
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": "",
        "formulation": "revitalise-cocktail",
        "protocol": "meso-standard",
        "risk_tier": "amber",
        "primary_scale": "gais",
        "max_sessions": None,
        "description": (
            "Many tiny injections of hyaluronic acid with vitamins and amino acids to "
            "rehydrate dull, tired skin and soften fine lines."
        ),
    },
    {
        "code": "under-eye",
        "name": "Under-eye refresh",
        "areas": ["under-eye"],
        "treatment_minutes": 20,
        "numbing_minutes": 30,
        "price": "250",
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": "",
        "formulation": "under-eye-light",
        "protocol": "meso-standard",
        "risk_tier": "amber",
        "primary_scale": "gais",
        "max_sessions": None,
        "description": ("A light hyaluronic acid cocktail for tired-looking under-eyes."),
    },
    {
        "code": "pigmentation",
        "name": "Pigmentation",
        "areas": ["face"],
        "treatment_minutes": 30,
        "numbing_minutes": 30,
        "price": "300",
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": "",
        "formulation": "brightening-txa",
        "protocol": "meso-standard",
        "risk_tier": "amber",
        "primary_scale": "mmasi",
        "max_sessions": None,
        "description": ("A brightening cocktail for sunspots and melasma."),
    },
    {
        "code": "acne-scars",
        "name": "Acne scars",
        "areas": ["face"],
        "treatment_minutes": 30,
        "numbing_minutes": 30,
        "price": "300",
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": "dermafrac",
        "formulation": "scar-repair",
        "protocol": "meso-standard",
        "risk_tier": "amber",
        "primary_scale": "goodman-baron-qualitative",
        "max_sessions": None,
        "description": ("Hyaluronic acid and antioxidants to soften pitted acne marks."),
    },
    {
        "code": "scalp-hair",
        "name": "Scalp and hair",
        "areas": ["scalp"],
        "treatment_minutes": 30,
        "numbing_minutes": 0,
        "price": "300",
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": "",
        "formulation": "hair-scalp",
        "protocol": "meso-standard",
        "risk_tier": "amber",
        "primary_scale": "hair-density",
        "max_sessions": None,
        "description": ("Micro-injections into the scalp to support hair growth; a long course."),
    },
    {
        "code": "chin-jowl-fat",
        "name": "Chin and jowl contouring",
        "areas": ["chin", "jowl"],
        "treatment_minutes": 30,
        "numbing_minutes": 30,
        "price": "350",
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": True,
        "device_type": "",
        "formulation": "lipo-contour",
        "protocol": "fat-dissolving",
        "risk_tier": "red",
        "primary_scale": "gais",
        "max_sessions": 6,
        "description": (
            "Fat-dissolving injections under the chin and along the jowl. Swelling is "
            "expected for a few days."
        ),
    },
    {
        "code": "body-cellulite",
        "name": "Body cellulite",
        "areas": ["thighs", "buttocks", "abdomen"],
        "treatment_minutes": 40,
        "numbing_minutes": 30,
        "price": "300",
        "needs_needle": True,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": "",
        "formulation": "cellulite-lipolytic",
        "protocol": "cellulite-weekly",
        "risk_tier": "amber",
        "primary_scale": "hexsel-css",
        "max_sessions": None,
        "description": ("A lipolytic cocktail to smooth cellulite on thighs, buttocks or tummy."),
    },
    {
        "code": "mesotox",
        "name": "MesoTox",
        "areas": ["face", "neck"],
        "treatment_minutes": 30,
        "numbing_minutes": 30,
        "price": "500",
        "needs_needle": True,
        "requires_prescriber": True,
        "swelling_expected": False,
        "device_type": "",
        "formulation": "mesotox-blend",
        "protocol": "toxin-quarterly",
        "risk_tier": "red",
        "primary_scale": "wrinkle-0-4",
        "max_sessions": None,
        "description": (
            "Hyaluronic acid mesotherapy with micro-doses of botulinum toxin for fine lines "
            "and pores. A prescriber sees you face to face first."
        ),
    },
    {
        "code": "no-needle-infusion",
        "name": "No-needle infusion",
        "areas": ["face"],
        "treatment_minutes": 60,
        "numbing_minutes": 0,
        "price": "185",
        "needs_needle": False,
        "requires_prescriber": False,
        "swelling_expected": False,
        "device_type": "electroporation-wand",
        "formulation": "electro-serum",
        "protocol": "single",
        "risk_tier": "green",
        "primary_scale": "gais",
        "max_sessions": None,
        "description": (
            "Serums pushed into the skin with an electroporation wand: no needles, no downtime."
        ),
    },
    {
        "code": "consultation",
        "name": "Consultation",
        "areas": [],
        "treatment_minutes": 30,
        "numbing_minutes": 0,
        "price": "0",
        "needs_needle": False,
        "requires_prescriber": True,
        "swelling_expected": False,
        "device_type": "",
        "formulation": None,
        "protocol": "single",
        "risk_tier": "green",
        "primary_scale": "",
        "max_sessions": 1,
        "is_consultation": True,
        "description": (
            "A free, no-obligation talk with one of our prescribers (a doctor or nurse "
            "prescriber) about what would suit you, before MesoTox or when we need to know "
            "more about your health. Nothing is injected."
        ),
    },
]

DEVICE_TREATMENTS: list[dict[str, Any]] = [
    _device_treatment(
        "face-revitalise-injector",
        "Face revitalise with the Vital Injector",
        "face-revitalise",
        "vital-injector",
        polyrevitalising.FORMULATION_CODE,
        "The face revitalise cocktail given with the Vital Injector: suction holds the skin "
        "and every shot goes in at the same depth and dose, so fewer needle marks and a more "
        "even result than by hand.",
    ),
    _device_treatment(
        "acne-scars-collagen-pin",
        "Acne scars with Collagen PIN microneedling",
        "acne-scars",
        "collagen-pin",
        "scar-repair",
        "Automated microneedling with the Collagen PIN over pitted acne marks, with the scar "
        "repair cocktail worked into the skin.",
    ),
    _device_treatment(
        "acne-scars-roller",
        "Acne scars roller follow-up (home care taught)",
        "acne-scars",
        "microneedling-roller",
        "scar-repair",
        "A shorter follow-up between acne-scar sessions with a fine microneedling roller, "
        "where we show you how to use a home-care roller safely.",
    )
    | {"treatment_minutes": 20, "price": "120"},
    _device_treatment(
        "scalp-hair-gun",
        "Scalp and hair with the mesotherapy gun",
        "scalp-hair",
        "mesotherapy-gun",
        "hair-scalp",
        "The scalp cocktail given with a mesotherapy gun: quick, even micro-injections over "
        "the thinning areas.",
    ),
]
"""Treatments that use the Vital Injector, the Collagen PIN, the roller and the mesotherapy
gun; DermaFrac (acne scars) and the electroporation wand (no-needle infusion) are above."""

TREATMENTS: list[dict[str, Any]] = [*_BASE_TREATMENTS, *DEVICE_TREATMENTS]

# (given, family, birth date, sex, email) — fictional clients with varied histories.
CLIENTS = [
    ("Amelia", "Hart", dt.date(1986, 4, 12), "female", "amelia.hart@example.com"),
    ("Olivia", "Brennan", dt.date(1979, 9, 3), "female", "olivia.brennan@example.com"),
    ("Isla", "Murray", dt.date(1992, 1, 27), "female", "isla.murray@example.com"),
    ("Sophie", "Carter", dt.date(1990, 6, 18), "female", "sophie.carter@example.com"),
    ("Noah", "Fletcher", dt.date(1983, 11, 30), "male", "noah.fletcher@example.com"),
    ("Priya", "Raman", dt.date(1988, 2, 14), "female", "priya.raman@example.com"),
    ("Chloe", "Dawson", dt.date(1995, 8, 9), "female", "chloe.dawson@example.com"),
    ("James", "Whitaker", dt.date(1975, 5, 21), "male", "james.whitaker@example.com"),
    ("Emily", "Sato", dt.date(1991, 12, 2), "female", "emily.sato@example.com"),
    ("Grace", "Lindqvist", dt.date(1969, 3, 16), "female", "grace.lindqvist@example.com"),
    ("Hannah", "Osei", dt.date(1993, 7, 25), "female", "hannah.osei@example.com"),
    ("Daniel", "Moreau", dt.date(1981, 10, 11), "male", "daniel.moreau@example.com"),
    ("Zara", "Qureshi", dt.date(1997, 4, 4), "female", "zara.qureshi@example.com"),
    ("Ruby", "Kowalski", dt.date(1985, 1, 19), "female", "ruby.kowalski@example.com"),
    ("Mia", "Fernandes", dt.date(2009, 6, 30), "female", "mia.fernandes@example.com"),
    ("Ella", "Thornton", dt.date(1977, 9, 8), "female", "ella.thornton@example.com"),
    ("Lucas", "Byrne", dt.date(1989, 2, 28), "male", "lucas.byrne@example.com"),
    ("Freya", "Adeyemi", dt.date(1994, 11, 13), "female", "freya.adeyemi@example.com"),
    ("Ava", "Nakamura", dt.date(1972, 8, 22), "female", "ava.nakamura@example.com"),
    ("Evie", "Sinclair", dt.date(1998, 3, 7), "female", "evie.sinclair@example.com"),
]

BATCH_QUANTITY = Decimal("50")
