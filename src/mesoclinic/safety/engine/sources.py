"""The sources cited by screening rules: the law, product SPC, professional standard or
clinic policy on whose authority each rule's reasons are given (``Reason.source``). Plain
strings, no imports from the rest of the engine.
"""

from __future__ import annotations

SOURCE_CHILDREN_ACT = (
    "Botulinum Toxin and Cosmetic Fillers (Children) Act 2021; "
    "product SPCs (not licensed for use in children)"
)
SOURCE_CLINIC_POLICY = "Clinic policy (configurable)"
SOURCE_SPC = "Product SPC / manufacturer's instructions"
SOURCE_TOXIN_SPC = "Botulinum toxin type A SPC"
SOURCE_CLINICAL_CONTRAINDICATION = "Clinical contraindication (domain reference §4)"
SOURCE_RELATIVE_CONTRAINDICATION = (
    "Relative contraindication: clinician judgement, recorded as an override"
)
SOURCE_SCOPE_OF_PRACTICE = (
    "Scope of practice: injectables by a licensed doctor or nurse (JCCP, Society of "
    "Mesotherapy UK); clinic policy (configurable)"
)
SOURCE_REGISTRATION = (
    "Professional registration (GMC, NMC, GDC, GPhC) and independent-prescriber qualification"
)
SOURCE_PRESCRIPTION = (
    "Human Medicines Regulations 2012 (prescription-only medicines); GMC and NMC guidance: "
    "face-to-face consultation before prescribing cosmetic injectables"
)
SOURCE_ELECTROPORATION = "Electroporation device contraindications (manufacturer)"
SOURCE_CONSENT = "Informed consent (GMC and NMC professional standards); clinic policy"
SOURCE_INSURANCE = "Professional indemnity requirement; clinic policy (configurable)"
SOURCE_AFTERCARE = "Clinical guidance: counselling and aftercare planning"
