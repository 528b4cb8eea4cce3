"""Who acted in which capacity, and from where: the request facts every audit entry
carries.

:class:`AuditOriginMiddleware` keeps the request's client address in a context variable
for the length of the request; :func:`mesoclinic.core.audit.audit_entry` reads it and the
actor's role, so no caller passes them. Outside a request (commands, the worker, the demo
loader) there is no origin and both stay empty: the entry is the system's.

The client address is ``REMOTE_ADDR``. ``X-Forwarded-For`` is believed only when the
connection comes from a proxy listed in ``settings.TRUSTED_PROXIES``
(``MESOCLINIC_TRUSTED_PROXIES``: addresses or networks); then the address is the
right-most hop that is not itself a trusted proxy, since anything left of that was
written by the client and may be forged.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _no_roles(user: Any) -> str:
    return ""


_staff_roles: Callable[[Any], str] = _no_roles


def use_staff_roles(resolver: Callable[[Any], str]) -> None:
    """Install the function that names a staff user's roles (the people app installs
    :mod:`mesoclinic.people.roles` at start-up; the kernel imports no domain app)."""
    global _staff_roles
    _staff_roles = resolver


def audit_role(user: Any) -> str:
    """The role recorded with an entry: the staff roles (comma-joined), ``client`` for a
    portal account, or "" for nobody."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    staff = _staff_roles(user)
    if staff:
        return staff
    if getattr(user, "client_account", None) is not None:
        return "client"
    return ""


@dataclass
class RequestOrigin:
    """The current request's client address, and the roles already looked up in it."""

    ip: str | None
    roles: dict[Any, str] = field(default_factory=dict)

    def role_of(self, user: Any) -> str:
        """``audit_role(user)``, looked up once per user per request."""
        if user.pk not in self.roles:
            self.roles[user.pk] = audit_role(user)
        return self.roles[user.pk]


_origin: ContextVar[RequestOrigin | None] = ContextVar("audit_request_origin", default=None)


def current_origin() -> RequestOrigin | None:
    """The request being served, or None outside a request."""
    return _origin.get()


class AuditOriginMiddleware:
    """Sets the request origin for audit entries while the request is handled."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _origin.set(RequestOrigin(ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind a trusted proxy the right-most
    untrusted ``X-Forwarded-For`` hop. None when there is no valid address."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    proxies = _trusted_proxies(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if remote is None or not _within(remote, proxies):
        return str(remote) if remote else None
    chosen = remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([hop.strip() for hop in hops if hop.strip()]):
        address = _address(hop)
        if address is None:
            break
        chosen = address
        if not _within(address, proxies):
            break
    return str(chosen)


def _address(text: str | None) -> Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def _within(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


@functools.lru_cache(maxsize=4)
def _trusted_proxies(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None
