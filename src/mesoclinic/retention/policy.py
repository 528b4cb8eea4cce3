"""The clinic's retention periods: :class:`~.rules.RetentionPolicy` from
``settings.MESOCLINIC["RETENTION"]`` (defaults from the Records Management Code)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings

from mesoclinic.retention.rules import RetentionPolicy


def retention_policy() -> RetentionPolicy:
    """The retention periods in force (a wrong setting is a ``ValueError`` naming it)."""
    values = settings.MESOCLINIC.get("RETENTION", {})
    return RetentionPolicy.from_mapping(cast(Mapping[str, Any], values))
