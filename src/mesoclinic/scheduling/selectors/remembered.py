"""The slots of recent availability searches, remembered by each process.

Most availability requests ask again what was asked a moment ago (one treatment over the
coming weeks, from one of a few start days), and most of such a request's time goes to
qualifying the practitioners and running the engine. Everything else a search reads is
already in memory under a revision clock (a site's resources, ``site_resources``; the
appointments, ``busy``) or cheap to read, so ``availability`` keeps each search's slots
under a key made of everything the answer depends on (``availability._page_key``) and
answers from memory while that key is asked for again. Entries no one asks for age out
(least recently used first, ``SIZE`` of them).

An entry also names the site resources it was computed from (its *owner*), and answers
only while they are the ones in use. It holds them weakly: resources replaced after a
change are freed with the resources cache's copy, and their entries never answer again
(the key may hold the owner's ``id``, which a later object can reuse, so the owner is
compared by identity too).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

SIZE = 256
"""Searches remembered per process (each at most ``availability.REMEMBERED_SLOTS``)."""

V = TypeVar("V")


class Remembered(Generic[V]):
    """A least-recently-used map from keys to values computed from one ``owner`` object;
    shared by a process's threads."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[weakref.ref[object], V]] = OrderedDict()

    def get(self, key: Hashable, owner: object) -> V | None:
        """The value stored under ``key`` from this very ``owner``, or ``None``."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0]() is not owner:
                del self._entries[key]  # its owner was replaced: it cannot answer again
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, owner: object, value: V) -> None:
        """Remember ``value`` under ``key`` (holding ``owner`` weakly), dropping the least
        recently used when full."""
        with self._lock:
            self._entries[key] = (weakref.ref(owner), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
