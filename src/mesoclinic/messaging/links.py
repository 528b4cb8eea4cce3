"""One-time links in messages: made at send time, never kept in the message log.

A message that carries a secret link (email verification, password reset) is stored with
:data:`LINK_MARKER` where the link goes and a ``link_ref`` ("<minter>:<id>"). When the
message is delivered, the minter registered under that name (by the app that owns the
link, in its ``AppConfig.ready``) makes a fresh token, keeps only its hash, and returns the
URL, which replaces the marker in the outgoing email only. A minter returns ``None`` when
the link is no longer wanted (used, expired, superseded): the message is then not sent.
"""

from __future__ import annotations

from collections.abc import Callable

LINK_MARKER = "[one-time link: in the email only, never kept in this log]"

LinkMinter = Callable[[str], str | None]

_MINTERS: dict[str, LinkMinter] = {}


def link_minter_register(name: str, minter: LinkMinter) -> None:
    """Register ``minter`` for ``link_ref`` values starting with ``name:``."""
    _MINTERS[name] = minter


def link_ref(name: str, ident: object) -> str:
    """The ``link_ref`` of a message whose link ``name``'s minter makes for ``ident``."""
    return f"{name}:{ident}"


def link_mint(ref: str) -> str | None:
    """The URL for ``ref``, made now, or ``None`` if there is none to send any more."""
    name, _, ident = ref.partition(":")
    minter = _MINTERS.get(name)
    if minter is None:
        raise LookupError(f"No link minter registered for {name!r}.")
    return minter(ident)


def body_with_link(body: str, url: str) -> str:
    """``body`` with its marker replaced by ``url`` (for the outgoing email only)."""
    return body.replace(LINK_MARKER, url)
