"""Rule checks on who treats and on what authority: the practitioner's profession,
registration, prescribing qualification and indemnity insurance, and whether a valid
prescription from a face-to-face consultation is on file (``is_prescription_valid``,
``latest_valid_prescription``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .facts import PractitionerFacts, PrescriptionFacts, ScreeningRequest
from .rule import Finding, is_needle_or_toxin_treatment

# Practitioner ------------------------------------------------------------------------------


def _allowed_professions(request: ScreeningRequest) -> frozenset[str]:
    config = request.config
    if is_needle_or_toxin_treatment(request):
        return config.injector_professions
    return config.no_needle_professions


def _check_practitioner_qualified(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    assert practitioner is not None  # guaranteed by the rule's scope
    if request.treatment.consultation:
        yield from _check_consulting_prescriber(request, practitioner)
        return
    allowed = _allowed_professions(request)
    allowed_text = " or ".join(sorted(allowed)) or "no profession"
    if practitioner.profession not in allowed:
        yield Finding(
            message=(
                f"{practitioner.code} is a {practitioner.profession}; {request.treatment.code} "
                f"must be given by a {allowed_text}. Choose a qualified practitioner."
            ),
            details={"profession": practitioner.profession, "allowed": tuple(sorted(allowed))},
        )
    elif is_needle_or_toxin_treatment(request) and practitioner.registration_expires_on is None:
        yield Finding(
            message=(
                f"{practitioner.code} has no professional registration on file; injectable "
                "and toxin treatments need a current registration. Record it, or choose "
                "another practitioner."
            ),
            details={"profession": practitioner.profession, "registration_expires_on": None},
        )


def _check_consulting_prescriber(
    request: ScreeningRequest, practitioner: PractitionerFacts
) -> Iterable[Finding]:
    expires_on = practitioner.prescriber_expires_on
    if expires_on is None or expires_on < request.on:
        yield Finding(
            message=(
                f"{practitioner.code} is not a current prescriber; a consultation (which may "
                "lead to a prescription) is with a prescriber. Choose another practitioner."
            ),
            details={"qualification": "prescriber", "expires_on": _iso(expires_on)},
        )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _check_registration_current(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    assert practitioner is not None  # guaranteed by the rule's scope
    expires_on = practitioner.registration_expires_on
    if expires_on is None or expires_on >= request.on:
        return  # none on file is reported as practitioner_not_qualified
    if practitioner.profession not in request.config.injector_professions:
        return  # out of scope entirely: reported as practitioner_not_qualified
    yield Finding(
        message=(
            f"{practitioner.code}'s professional registration expired on "
            f"{expires_on.isoformat()}. They cannot give injectable or toxin treatments "
            "until it is renewed: choose another practitioner."
        ),
        details={"qualification": "registration", "expired_on": expires_on.isoformat()},
    )


def _check_prescribing_qualification_current(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    prescription = latest_valid_prescription(request)
    assert practitioner is not None  # guaranteed by the rule's scope
    if prescription is None or prescription.prescriber_code != practitioner.code:
        return
    expires_on = practitioner.prescriber_expires_on
    if expires_on is not None and expires_on >= request.on:
        return
    expired_text = f"expired on {expires_on.isoformat()}" if expires_on else "is not on file"
    yield Finding(
        message=(
            f"{practitioner.code} wrote the prescription on file (consultation "
            f"{prescription.consulted_on.isoformat()}), but their prescribing qualification "
            f"{expired_text}. A current prescriber must see the client and prescribe, or "
            "choose another practitioner."
        ),
        details={
            "qualification": "prescriber",
            "expired_on": expires_on.isoformat() if expires_on else None,
        },
    )


def _check_insurance(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    assert practitioner is not None  # guaranteed by the rule's scope
    expires_on = practitioner.insurance_expires_on
    if expires_on is not None and expires_on >= request.on:
        return
    state = f"expired on {expires_on.isoformat()}" if expires_on else "is not on file"
    yield Finding(
        message=(
            f"{practitioner.code}'s indemnity insurance {state}. Renew it before treating; "
            "until then the treatment record cannot be accepted."
        ),
        details={"expired_on": expires_on.isoformat() if expires_on else None},
        blocks_treatment=request.config.insurance_expired_blocks_treatment,
    )


# Prescriptions -----------------------------------------------------------------------------


def is_prescription_valid(prescription: PrescriptionFacts, request: ScreeningRequest) -> bool:
    """Whether a prescription covers this formulation on the screening date.

    The consultation must be on or before ``on`` and at most
    ``prescription_validity_days`` before it (inclusive).
    """
    formulation = request.formulation
    age_days = (request.on - prescription.consulted_on).days
    return (
        formulation is not None
        and prescription.formulation_code == formulation.code
        and 0 <= age_days <= request.config.prescription_validity_days
    )


def latest_valid_prescription(request: ScreeningRequest) -> PrescriptionFacts | None:
    """Return the most recent prescription valid for this screening, if any."""
    valid = [p for p in request.client.prescriptions if is_prescription_valid(p, request)]
    return max(valid, key=lambda prescription: prescription.consulted_on, default=None)


def _check_prescription_on_file(request: ScreeningRequest) -> Iterable[Finding]:
    if latest_valid_prescription(request) is not None:
        return
    formulation = request.formulation
    validity = request.config.prescription_validity_days
    product = formulation.name if formulation else "the product (no formulation chosen)"
    yield Finding(
        message=(
            f"{request.treatment.code} uses a prescription-only medicine and there is no "
            f"prescription for {product} from a face-to-face prescriber consultation in the "
            f"{validity} days up to {request.on.isoformat()}. Book a prescriber consultation "
            "first."
        ),
        details={
            "formulation": formulation.code if formulation else None,
            "validity_days": validity,
        },
    )
