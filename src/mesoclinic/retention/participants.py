"""Parts of a client's file that layers above the domain apps own (the portal's account).

Domain apps never import the portal, so the portal registers, in its ``AppConfig.ready``,
a function that closes a client's account when they are erased; the erasure services call
every registered function inside their transaction, before the client's rows are deleted
or anonymised. Each returns what it did, in words, for the audit entry (empty: nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ErasureParticipant = Callable[[Any], list[str]]

_PARTICIPANTS: dict[str, ErasureParticipant] = {}


def erasure_participant_register(name: str, participant: ErasureParticipant) -> None:
    """Register ``participant(client) -> [what was done]`` under ``name`` (once per name)."""
    _PARTICIPANTS[name] = participant


def erasure_participants_run(client: Any) -> dict[str, list[str]]:
    """Run every registered participant for ``client``; what each did, by name."""
    return {name: participant(client) for name, participant in sorted(_PARTICIPANTS.items())}
