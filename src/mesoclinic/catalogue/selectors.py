"""Reads for the catalogue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, QuerySet, Value
from django.db.models.functions import Upper

from mesoclinic.catalogue.models import (
    Batch,
    Formulation,
    Ingredient,
    Protocol,
    StockMovement,
    Treatment,
)
from mesoclinic.core.lookups import get_by_code

_M = TypeVar("_M", bound=Model)


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
    return get_by_code(treatment_list(), code, error_code="unknown_treatment", noun="treatment")


def formulation_by_code(code: str) -> Formulation:
    """The formulation with ``code``, or a 400 ``unknown_formulation``."""
    return get_by_code(
        Formulation.objects.prefetch_related("ingredients"),
        code,
        error_code="unknown_formulation",
        noun="formulation",
    )


def batch_list(*, formulation: Formulation | None = None) -> QuerySet[Batch]:
    """Batches (optionally of one formulation) with their formulation, soonest expiry first."""
    batches = Batch.objects.select_related("formulation").order_by("expires_on", "lot")
    return batches.filter(formulation=formulation) if formulation else batches


def batches_with_lot(lot: str) -> QuerySet[Batch]:
    """The batches whose lot number is ``lot`` in any case (one per formulation at most).
    The caller strips what was typed: the value reaches the SQL as given (as a
    ``CompiledQuery`` builder needs).

    Both sides go through the database's ``UPPER`` so that they fold case alike (SQLite
    folds ASCII only), and the comparison is the expression of the ``batch_lot_upper``
    index: one index probe, where ``lot__iexact`` (``LIKE`` on SQLite) read every batch and
    left the planner free to scan every treatment record instead (W6)."""
    return with_lot(Batch.objects.all(), lot)


def with_lot(rows: QuerySet[_M], lot: str) -> QuerySet[_M]:
    """The ``rows`` whose ``lot`` column is ``lot`` in any case, both sides through the
    database's ``UPPER`` (a batch, a recall contact: every lot comparison folds alike)."""
    aliased: QuerySet[_M] = rows.alias(lot_key=Upper("lot"))  # type: ignore[assignment]
    return aliased.filter(lot_key=Upper(Value(lot)))


def batches_expiring(*, on: dt.date, within_days: int = 30) -> QuerySet[Batch]:
    """Batches with stock left that expire within ``within_days`` of ``on`` (or have expired)."""
    return batch_list().filter(
        quantity_on_hand__gt=0, expires_on__lte=on + dt.timedelta(days=within_days)
    )


def usable_batches(*, formulation: Formulation, on: dt.date) -> QuerySet[Batch]:
    """Batches of a formulation not expired on ``on`` and with stock left."""
    return batch_list(formulation=formulation).filter(expires_on__gte=on, quantity_on_hand__gt=0)


def stock_movements(*, batch: Batch) -> QuerySet[StockMovement]:
    """The ledger of one batch, newest first."""
    return batch.movements.order_by("-at", "-id")


@dataclass(frozen=True)
class IngredientGroup:
    """The ingredients of one class in a formulation, as its page lists them."""

    ingredient_class: str
    ingredients: list[Ingredient]


def formulation_ingredients_by_class(
    formulation: Formulation, *, query: str = ""
) -> list[IngredientGroup]:
    """A formulation's ingredients grouped by class (classes and names in alphabetical
    order), with their allergen groups; ``query`` keeps those whose name, code, synonym,
    class or allergen group contains it (case-insensitive)."""
    needle = " ".join(query.split()).casefold()
    groups: dict[str, list[Ingredient]] = {}
    for ingredient in formulation.ingredients.prefetch_related("allergen_groups").order_by("name"):
        if needle and not _ingredient_matches(ingredient, needle):
            continue
        groups.setdefault(ingredient.ingredient_class or "other", []).append(ingredient)
    return [IngredientGroup(name, items) for name, items in sorted(groups.items())]


def _ingredient_matches(ingredient: Ingredient, needle: str) -> bool:
    words = [ingredient.name, ingredient.code, ingredient.ingredient_class, *ingredient.synonyms]
    for group in ingredient.allergen_groups.all():
        words += [group.name, group.code, *group.synonyms]
    return any(needle in str(word).casefold() for word in words)
