"""A real-size cocktail for the demo: an illustrative polyrevitalising formulation.

The article says "a typical mesotherapy blend might contain 50 ingredients". Polyrevitalising
products sold for mesotherapy publish ingredient lists of that size: non-cross-linked
hyaluronic acid with vitamins, amino acids, minerals, coenzymes, nucleic acid bases and
antioxidants. This formulation is modelled on the *kind* of list those products publish; it
is **illustrative**, named as such, and is not the composition of any product.

Rows are (code, name, ingredient class, synonyms, allergen group codes), as in
``demo.data.INGREDIENTS``; the groups below are added to ``demo.data.ALLERGEN_GROUPS``.
"""

from __future__ import annotations

FORMULATION_CODE = "polyrevitalising-complex"
FORMULATION_NAME = (
    "Polyrevitalising complex (illustrative: 58 ingredients modelled on public ingredient lists)"
)

ALLERGEN_GROUPS = [
    ("cobalt", "Cobalt", ["cobalamin", "vitamin b12"]),
    ("retinoids", "Retinoids", ["vitamin a", "retinyl"]),
    ("thiamine", "Thiamine (vitamin B1)", ["vitamin b1", "aneurine"]),
]

_VITAMINS = [
    ("retinol", "Retinol (vitamin A)", ["vitamin A"], ["retinoids"]),
    ("thiamine", "Thiamine hydrochloride (vitamin B1)", ["vitamin B1"], ["thiamine"]),
    ("riboflavin", "Riboflavin (vitamin B2)", ["vitamin B2"], []),
    ("niacinamide", "Niacinamide (vitamin B3)", ["nicotinamide", "vitamin B3"], []),
    ("calcium-pantothenate", "Calcium D-pantothenate (vitamin B5)", ["vitamin B5"], []),
    ("pyridoxine", "Pyridoxine hydrochloride (vitamin B6)", ["vitamin B6"], []),
    ("inositol", "Inositol", ["myo-inositol"], []),
    ("folic-acid", "Folic acid (vitamin B9)", ["folate", "vitamin B9"], []),
    ("cyanocobalamin", "Cyanocobalamin (vitamin B12)", ["vitamin B12"], ["cobalt"]),
    ("sodium-ascorbyl-phosphate", "Sodium ascorbyl phosphate (vitamin C)", ["vitamin C"], []),
    ("tocopherol", "Tocopherol (vitamin E)", ["vitamin E"], []),
    ("menadione", "Menadione sodium bisulfite (vitamin K3)", ["vitamin K3"], ["sulfites"]),
]
_AMINO_ACIDS = [
    ("alanine", "L-alanine"),
    ("arginine", "L-arginine hydrochloride"),
    ("asparagine", "L-asparagine"),
    ("aspartic-acid", "L-aspartic acid"),
    ("cysteine", "L-cysteine hydrochloride"),
    ("glutamic-acid", "L-glutamic acid"),
    ("glutamine", "L-glutamine"),
    ("glycine", "Glycine"),
    ("histidine", "L-histidine hydrochloride"),
    ("hydroxyproline", "Hydroxyproline"),
    ("isoleucine", "L-isoleucine"),
    ("leucine", "L-leucine"),
    ("lysine", "L-lysine hydrochloride"),
    ("methionine", "L-methionine"),
    ("ornithine", "L-ornithine hydrochloride"),
    ("phenylalanine", "L-phenylalanine"),
    ("proline", "L-proline"),
    ("serine", "L-serine"),
    ("taurine", "Taurine"),
    ("threonine", "L-threonine"),
    ("tryptophan", "L-tryptophan"),
    ("tyrosine", "L-tyrosine"),
    ("valine", "L-valine"),
]
_MINERALS = [
    ("calcium-chloride", "Calcium chloride"),
    ("magnesium-sulfate", "Magnesium sulfate"),
    ("potassium-chloride", "Potassium chloride"),
    ("sodium-acetate", "Sodium acetate"),
    ("sodium-chloride", "Sodium chloride"),
    ("sodium-phosphate", "Sodium dihydrogen phosphate"),
    ("sodium-bicarbonate", "Sodium bicarbonate"),
]
_COENZYMES = [
    ("cocarboxylase", "Cocarboxylase (thiamine pyrophosphate)", ["thiamine"]),
    ("fad", "Flavin adenine dinucleotide (FAD)", []),
    ("nad", "Nicotinamide adenine dinucleotide (NAD)", []),
    ("coenzyme-a", "Coenzyme A", []),
    ("utp", "Uridine triphosphate (UTP)", []),
]
_NUCLEIC_ACID_BASES = [
    ("deoxyadenosine", "Deoxyadenosine"),
    ("deoxycytidine", "Deoxycytidine"),
    ("deoxyguanosine", "Deoxyguanosine"),
    ("thymidine", "Thymidine (deoxythymidine)"),
]
_ANTIOXIDANTS = [
    ("lipoic-acid", "Alpha-lipoic acid"),
    ("glutathione", "Glutathione"),  # already in the catalogue
]
_OTHERS = [
    ("glucose", "D-glucose", "carbohydrate"),
    ("glucosamine", "Glucosamine", "glycosaminoglycan precursor"),
    ("glucuronic-acid", "D-glucuronic acid", "glycosaminoglycan precursor"),
    ("hyaluronic-acid", "Hyaluronic acid (non-cross-linked)", "glycosaminoglycan"),  # existing
    ("sodium-metabisulfite", "Sodium metabisulfite", "preservative"),  # existing
]

SHARED = {"glutathione", "hyaluronic-acid", "sodium-metabisulfite"}
"""Ingredients the catalogue already has (kept as they are there)."""

INGREDIENTS: list[tuple[str, str, str, list[str], list[str]]] = [
    *[(code, name, "vitamin", syn, groups) for code, name, syn, groups in _VITAMINS],
    *[(code, name, "amino acid", [], []) for code, name in _AMINO_ACIDS],
    *[(code, name, "mineral", [], []) for code, name in _MINERALS],
    *[(code, name, "coenzyme", [], groups) for code, name, groups in _COENZYMES],
    *[(code, name, "nucleic acid base", [], []) for code, name in _NUCLEIC_ACID_BASES],
    *[(code, name, "antioxidant", [], []) for code, name in _ANTIOXIDANTS if code not in SHARED],
    *[(code, name, kind, [], []) for code, name, kind in _OTHERS if code not in SHARED],
]
"""The new ingredients (those the catalogue already has are not repeated)."""

FORMULATION_INGREDIENTS: list[str] = [
    *[row[0] for row in _VITAMINS],
    *[row[0] for row in _AMINO_ACIDS],
    *[row[0] for row in _MINERALS],
    *[row[0] for row in _COENZYMES],
    *[row[0] for row in _NUCLEIC_ACID_BASES],
    *[row[0] for row in _ANTIOXIDANTS],
    *[row[0] for row in _OTHERS],
]
