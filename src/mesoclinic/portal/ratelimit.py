"""Rate limits for the public portal forms (sign-up, login, password reset, booking).

Counted in Django's cache (fixed windows): per client IP and per email address (hashed
before it becomes a cache key). The limits are ``MESOCLINIC["PORTAL_RATE_LIMITS"]``:
``{"signup": {"ip": "20/h", "address": "5/h"}, ...}`` where a limit is "count/period" and
the period is a number of seconds or ``s``, ``m``, ``h``, ``d`` (optionally with a
count, "15m"). A missing scope or key is not limited. With several server processes the
cache must be shared (for example the database or Redis cache backend) for the limits to
hold across them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from mesoclinic.core.audit_context import client_ip as audit_client_ip

DEFAULT_LIMITS: dict[str, dict[str, str]] = {
    "signup": {"ip": "20/h", "address": "5/h"},
    "booking": {"ip": "30/h", "address": "10/h"},
    "login": {"ip": "60/h", "address": "10/15m"},
    "password_reset": {"ip": "20/h", "address": "5/h"},
}

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd]?)\s*$")


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    seconds: int


def parse_limit(text: str) -> Limit:
    """ "5/h" → 5 per 3600 s; "10/15m" → 10 per 900 s; "3/30" → 3 per 30 s."""
    found = _LIMIT.match(text)
    if found is None or (not found.group(2) and not found.group(3)):
        raise ValueError(f"Not a rate limit: {text!r} (write it like '5/h' or '10/15m').")
    amount = int(found.group(2) or 1)
    return Limit(int(found.group(1)), amount * _UNITS.get(found.group(3) or "s", 1))


def limits_for(scope: str) -> dict[str, Limit]:
    """The limits of ``scope`` by key kind (``ip``, ``address``)."""
    configured: Any = settings.MESOCLINIC.get("PORTAL_RATE_LIMITS")
    table: dict[str, dict[str, str]] = configured if configured is not None else DEFAULT_LIMITS
    return {kind: parse_limit(text) for kind, text in (table.get(scope) or {}).items()}


def client_ip(request: HttpRequest) -> str:
    """The address the request came from, as the audit trail sees it (behind the proxies
    of ``MESOCLINIC_TRUSTED_PROXIES``, the right-most untrusted forwarded hop)."""
    return audit_client_ip(request) or "unknown"


def _key(scope: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"portal-rate:{scope}:{kind}:{digest}"


def _hit(key: str, limit: Limit) -> bool:
    """Count one attempt; whether it is over the limit."""
    if cache.add(key, 1, timeout=limit.seconds):
        return limit.count < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=limit.seconds)
        count = 1
    return count > limit.count


def rate_limited(request: HttpRequest, scope: str, address: str = "") -> int | None:
    """Count this attempt against ``scope``'s limits for the request's IP and ``address``;
    the seconds to wait when over a limit, else None."""
    limits = limits_for(scope)
    over: list[int] = []
    values = {"ip": client_ip(request), "address": address}
    for kind, limit in limits.items():
        value = values.get(kind, "")
        if value and _hit(_key(scope, kind, value), limit):
            over.append(limit.seconds)
    return max(over) if over else None
