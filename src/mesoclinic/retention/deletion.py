"""Deleting rows together with every row that depends on them.

Most of a client's file is protected against accidental deletion (``on_delete=PROTECT``):
a treatment record cannot vanish under its client. Disposal and erasure delete on purpose,
so they walk the reverse relations of the rows to delete, depth first, and delete the
dependents before the rows they protect. Relations that empty themselves (``SET_NULL``)
are left to Django. Files of deleted rows (clinical photos) are removed from storage only
after the transaction commits, so a rolled-back deletion loses no file.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet

_WALKED = (models.CASCADE, models.PROTECT, models.RESTRICT)


def delete_with_dependents(rows: QuerySet[Any]) -> Counter[str]:
    """Delete ``rows`` and everything that depends on them; rows deleted per model label."""
    deleted: Counter[str] = Counter()
    _delete(rows.model, list(rows.values_list("pk", flat=True)), deleted)
    return deleted


def _delete(model: type[models.Model], pks: list[Any], deleted: Counter[str]) -> None:
    if not pks:
        return
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.on_delete not in _WALKED:
            continue
        dependent = relation.related_model
        assert isinstance(dependent, type)
        dependent_pks = list(
            dependent._base_manager.filter(**{f"{relation.field.name}__in": pks}).values_list(
                "pk", flat=True
            )
        )
        _delete(dependent, dependent_pks, deleted)
    rows = model._base_manager.filter(pk__in=pks)
    _remove_files_after_commit(model, rows)
    _, per_model = rows.delete()
    deleted.update({label: count for label, count in per_model.items() if count})


def _remove_files_after_commit(model: type[models.Model], rows: QuerySet[Any]) -> None:
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.FileField):
            continue
        names = [name for name in rows.values_list(field.attname, flat=True) if name]
        for name in names:
            transaction.on_commit(partial(field.storage.delete, name))
