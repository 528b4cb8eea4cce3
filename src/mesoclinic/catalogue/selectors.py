"""Reads for the catalogue."""

from __future__ import annotations

from django.db.models import QuerySet

from mesoclinic.catalogue.models import Formulation, Protocol, Treatment
from mesoclinic.core.errors import InvalidInput


def treatment_list(*, active_only: bool = True) -> QuerySet[Treatment]:
    """Treatments with their default protocol and formulation, in name order."""
    treatments = Treatment.objects.select_related("default_protocol", "default_formulation")
    return treatments.filter(active=True) if active_only else treatments


def protocol_list() -> QuerySet[Protocol]:
    """Protocols with their phases prefetched."""
    return Protocol.objects.prefetch_related("phases").order_by("code")


def formulation_list() -> QuerySet[Formulation]:
    """Active formulations with their ingredients prefetched."""
    return Formulation.objects.filter(active=True).prefetch_related("ingredients")


def treatment_by_code(code: str) -> Treatment:
    """The active treatment with ``code``, or a 400 ``unknown_treatment``."""
    treatment = treatment_list().filter(code=code).first()
    if treatment is None:
        raise InvalidInput(
            "unknown_treatment", f"No treatment with code {code!r}.", details={"treatment": code}
        )
    return treatment


def formulation_by_code(code: str) -> Formulation:
    """The formulation with ``code``, or a 400 ``unknown_formulation``."""
    formulation = Formulation.objects.filter(code=code).prefetch_related("ingredients").first()
    if formulation is None:
        raise InvalidInput(
            "unknown_formulation",
            f"No formulation with code {code!r}.",
            details={"formulation": code},
        )
    return formulation
