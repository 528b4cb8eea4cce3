"""Writes for the catalogue: reference data upserts and the stock ledger (receive, use, discard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from mesoclinic.catalogue.models import (
    AllergenGroup,
    Batch,
    Formulation,
    Ingredient,
    Protocol,
    ProtocolPhase,
    StockMovement,
    StockMovementKind,
    Treatment,
)
from mesoclinic.catalogue.pricing import NoShowPreset
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused


def allergen_group_upsert(*, code: str, name: str, synonyms: Sequence[str] = ()) -> AllergenGroup:
    """Create or update an allergen group by code."""
    group, _ = AllergenGroup.objects.update_or_create(
        code=code, defaults={"name": name, "synonyms": list(synonyms)}
    )
    return group


def ingredient_upsert(
    *,
    code: str,
    name: str,
    ingredient_class: str = "",
    synonyms: Sequence[str] = (),
    allergen_groups: Iterable[AllergenGroup] = (),
) -> Ingredient:
    """Create or update an ingredient by code, with its allergen groups."""
    ingredient, _ = Ingredient.objects.update_or_create(
        code=code,
        defaults={"name": name, "ingredient_class": ingredient_class, "synonyms": list(synonyms)},
    )
    ingredient.allergen_groups.set(list(allergen_groups))
    return ingredient


def formulation_upsert(
    *, code: str, name: str, ingredients: Iterable[Ingredient], **fields: Any
) -> Formulation:
    """Create or update a formulation by code, with its ingredient list."""
    formulation, _ = Formulation.objects.update_or_create(
        code=code, defaults={"name": name, **fields}
    )
    formulation.ingredients.set(list(ingredients))
    return formulation


def protocol_upsert(
    *, code: str, name: str, phases: Sequence[dict[str, Any]], description: str = ""
) -> Protocol:
    """Create or update a protocol and replace its phases (given in order)."""
    with transaction.atomic():
        protocol, _ = Protocol.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        protocol.phases.all().delete()
        ProtocolPhase.objects.bulk_create(
            ProtocolPhase(protocol=protocol, order=order, **phase)
            for order, phase in enumerate(phases, start=1)
        )
    return protocol


def treatment_upsert(*, code: str, **fields: Any) -> Treatment:
    """Create or update a treatment by code."""
    treatment, _ = Treatment.objects.update_or_create(code=code, defaults=fields)
    return treatment


TREATMENT_SETTINGS = (
    "name",
    "description",
    "what_to_expect",
    "aftercare",
    "treatment_minutes",
    "numbing_minutes",
    "price",
    "no_show_policy",
    "no_show_fee_percent",
    "bookable_online",
    "active",
)
"""What an administrator may change about a treatment from the settings pages."""

LONGEST_VISIT_MINUTES = 720


def treatment_update(*, actor: Actor, treatment: Treatment, **changes: Any) -> Treatment:
    """Change a treatment's wording, durations, price or availability; audited with the
    old and new value of each field changed. Searches read treatments afresh, so
    availability follows at once."""
    unknown = set(changes) - set(TREATMENT_SETTINGS)
    if unknown:
        raise InvalidInput("invalid_input", f"Unknown fields: {', '.join(sorted(unknown))}.")
    _check_treatment_values({field: getattr(treatment, field) for field in changes} | changes)
    changed = {
        field: (str(getattr(treatment, field)), str(value))
        for field, value in changes.items()
        if getattr(treatment, field) != value
    }
    if not changed:
        return treatment
    with transaction.atomic():
        for field in changed:
            setattr(treatment, field, changes[field])
        treatment.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="treatment.update",
            obj=treatment,
            summary=f"{treatment.code}: changed {', '.join(changed)}",
            data={
                "changes": {
                    field: {"from": old, "to": new} for field, (old, new) in changed.items()
                }
            },
        )
    return treatment


def _check_treatment_values(values: dict[str, Any]) -> None:
    if "name" in values and not str(values["name"]).strip():
        raise InvalidInput("invalid_input", "A treatment needs a name.", details={"field": "name"})
    if "price" in values and Decimal(values["price"]) < 0:
        raise InvalidInput(
            "invalid_input", "The price cannot be negative.", details={"field": "price"}
        )
    if "no_show_fee_percent" in values and not (0 <= Decimal(values["no_show_fee_percent"]) <= 100):
        raise InvalidInput(
            "invalid_input",
            "The no-show fee is a share of the price between 0 and 100 %.",
            details={"field": "no_show_fee_percent"},
        )
    if "no_show_policy" in values and values["no_show_policy"] not in set(NoShowPreset):
        raise InvalidInput(
            "invalid_input",
            f"The no-show policy is one of {', '.join(NoShowPreset)}.",
            details={"field": "no_show_policy"},
        )
    minutes = int(values.get("treatment_minutes", 5))
    numbing = int(values.get("numbing_minutes", 0))
    if minutes < 5:
        raise InvalidInput(
            "invalid_input",
            "A treatment takes at least 5 minutes.",
            details={"field": "treatment_minutes"},
        )
    if minutes + numbing > LONGEST_VISIT_MINUTES:
        raise InvalidInput(
            "invalid_input",
            f"Numbing and treatment together must fit in {LONGEST_VISIT_MINUTES // 60} hours.",
            details={"field": "numbing_minutes"},
        )


def batch_receive(
    *,
    actor: Actor,
    formulation: Formulation,
    lot: str,
    expires_on: dt.date,
    quantity: Decimal,
    received_on: dt.date | None = None,
) -> Batch:
    """Record a new batch delivered into stock; a lot already known for the product is a 409."""
    lot = lot.strip()
    if not lot:
        raise InvalidInput("invalid_input", "The lot number is required.", details={"field": "lot"})
    if quantity <= 0:
        raise InvalidInput(
            "invalid_quantity",
            "The quantity must be more than zero.",
            details={"field": "quantity"},
        )
    try:
        with transaction.atomic():
            batch = Batch.objects.create(
                formulation=formulation,
                lot=lot,
                expires_on=expires_on,
                received_on=received_on or clock.today(),
                quantity_received=quantity,
                quantity_on_hand=quantity,
            )
            _movement(
                actor=actor,
                batch=batch,
                kind=StockMovementKind.RECEIVED,
                change=quantity,
                reference="delivery",
            )
            audit_record(
                actor=actor,
                action="batch.receive",
                obj=batch,
                summary=f"Received {quantity} of {formulation.code} lot {lot}",
            )
    except IntegrityError:
        raise Conflict(
            "batch_exists",
            f"Lot {lot} of {formulation.code} is already recorded.",
            details={"lot": lot},
        ) from None
    return batch


def _actor_label(actor: Actor) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else "system"


def _movement(
    *,
    actor: Actor,
    batch: Batch,
    kind: StockMovementKind,
    change: Decimal,
    reference: str = "",
    note: str = "",
) -> StockMovement:
    return StockMovement.objects.create(
        batch=batch,
        kind=kind,
        quantity_change=change,
        at=clock.now(),
        actor_label=_actor_label(actor),
        reference=reference[:80],
        note=note[:300],
    )


def _take_from_batch(
    *,
    actor: Actor,
    batch: Batch,
    quantity: Decimal,
    kind: StockMovementKind,
    reference: str,
    note: str = "",
) -> StockMovement:
    """Lock the batch row, refuse an overdraw with ``batch_empty``, decrement, log it."""
    if quantity <= 0:
        raise InvalidInput(
            "invalid_quantity",
            "The quantity must be more than zero.",
            details={"field": "quantity"},
        )
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    if locked.quantity_on_hand < quantity:
        raise RuleRefused(
            "batch_empty",
            f"Lot {locked.lot} has {locked.quantity_on_hand} left, not enough for {quantity}.",
            details={
                "lot": locked.lot,
                "quantity_on_hand": str(locked.quantity_on_hand),
                "needed": str(quantity),
            },
        )
    Batch.objects.filter(pk=locked.pk).update(quantity_on_hand=F("quantity_on_hand") - quantity)
    batch.refresh_from_db(fields=["quantity_on_hand"])
    return _movement(
        actor=actor, batch=locked, kind=kind, change=-quantity, reference=reference, note=note
    )


def stock_use(*, actor: Actor, batch: Batch, quantity: Decimal, reference: str) -> StockMovement:
    """Take ``quantity`` used in a treatment out of a batch (inside the caller's transaction).

    Refuses with 422 ``batch_empty`` when the batch holds less than ``quantity``; the
    caller's transaction then rolls back whatever else it wrote.
    """
    with transaction.atomic():
        return _take_from_batch(
            actor=actor,
            batch=batch,
            quantity=quantity,
            kind=StockMovementKind.USED,
            reference=reference,
        )


def stock_discard(*, actor: Actor, batch: Batch, quantity: Decimal, reason: str) -> StockMovement:
    """Discard stock from a batch (expired, damaged, recalled) with a stated reason."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "reason_required", "Say why the stock is discarded.", details={"field": "reason"}
        )
    with transaction.atomic():
        movement = _take_from_batch(
            actor=actor,
            batch=batch,
            quantity=quantity,
            kind=StockMovementKind.DISCARDED,
            reference="discard",
            note=reason,
        )
        audit_record(
            actor=actor,
            action="batch.discard",
            obj=batch,
            summary=f"Discarded {quantity} of {batch.formulation.code} lot {batch.lot}: {reason}",
        )
    return movement
