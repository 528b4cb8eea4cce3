"""When each message about an appointment goes out: pure functions, no Django.

Reminders are "48 hours before" in the sense a person means it: the same wall-clock time
two days earlier in the clinic's time zone, not 48 elapsed hours. Across the spring-forward
night a 10:00 Monday appointment is reminded at 10:00 on Saturday (47 elapsed hours), and
across the autumn fall-back night at 10:00 on Saturday too (49 elapsed hours).

Messages never go out in the middle of the night: a send time outside the clinic's send
window (default 08:00–20:00 local) moves *earlier*, to the end of the previous window, so a
reminder never arrives later than promised. A send time that has already passed when the
appointment is booked is dropped (the booking confirmation covers it), except for the
preparation message, which then goes at once: a client booked tomorrow still needs to know
to arrive early.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_WINDOW",
    "PlannedMessage",
    "SendWindow",
    "into_window",
    "local_to_utc",
    "next_in_window",
    "plan_appointment_messages",
    "retry_delay",
    "wall_clock_before",
]


@dataclass(frozen=True, slots=True)
class SendWindow:
    """The local times of day between which messages may be sent (inclusive)."""

    opens: dt.time = dt.time(8, 0)
    closes: dt.time = dt.time(20, 0)

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("The send window must open before it closes.")


DEFAULT_WINDOW = SendWindow()


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One message to send: its kind, a label that tells instances apart, and when (UTC)."""

    kind: str
    label: str
    send_at: dt.datetime


def _require_aware(moment: dt.datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def local_to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The UTC moment of a naive local wall-clock time in ``tz``.

    A time skipped by the spring-forward gap (01:30 on the last Sunday of March in London)
    moves forward by the gap, as a clock would; an ambiguous autumn time takes the first
    (summer-time) occurrence.
    """
    if local.tzinfo is not None:
        raise ValueError("local must be naive wall-clock time")
    # fold=0 reads a skipped time with the offset in force before the gap (01:30 GMT, which
    # the clock shows as 02:30 BST) and an ambiguous time as its first occurrence.
    return local.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)


def wall_clock_before(moment: dt.datetime, tz: ZoneInfo, hours: int) -> dt.datetime:
    """``hours`` before ``moment`` on the local wall clock of ``tz``, as a UTC datetime."""
    _require_aware(moment, "moment")
    local = moment.astimezone(tz).replace(tzinfo=None) - dt.timedelta(hours=hours)
    return local_to_utc(local, tz)


def into_window(
    moment: dt.datetime, tz: ZoneInfo, window: SendWindow = DEFAULT_WINDOW
) -> dt.datetime:
    """``moment`` if it falls in the send window, else the end of the window before it."""
    _require_aware(moment, "moment")
    local = moment.astimezone(tz)
    day = local.date()
    if local.time() > window.closes:
        return local_to_utc(dt.datetime.combine(day, window.closes), tz)
    if local.time() < window.opens:
        previous = day - dt.timedelta(days=1)
        return local_to_utc(dt.datetime.combine(previous, window.closes), tz)
    return moment.astimezone(dt.UTC)


def next_in_window(
    moment: dt.datetime, tz: ZoneInfo, window: SendWindow = DEFAULT_WINDOW
) -> dt.datetime:
    """``moment`` if it falls in the send window, else the next opening of the window."""
    _require_aware(moment, "moment")
    local = moment.astimezone(tz)
    day = local.date()
    if local.time() < window.opens:
        return local_to_utc(dt.datetime.combine(day, window.opens), tz)
    if local.time() > window.closes:
        return local_to_utc(dt.datetime.combine(day + dt.timedelta(days=1), window.opens), tz)
    return moment.astimezone(dt.UTC)


def plan_appointment_messages(
    *,
    start: dt.datetime,
    tz: ZoneInfo,
    now: dt.datetime,
    reminder_hours: tuple[int, ...] = (48, 24),
    preparation_hours: int | None = 72,
    window: SendWindow = DEFAULT_WINDOW,
) -> list[PlannedMessage]:
    """Reminders and preparation for an appointment starting at ``start`` (client arrival).

    Returns messages in send order. ``preparation_hours`` is ``None`` when the treatment
    needs no preparation message. Reminders whose time has passed at ``now`` are dropped;
    two reminders that land on the same moment are sent once (the earlier label wins).
    """
    _require_aware(start, "start")
    _require_aware(now, "now")
    if start <= now:
        return []
    planned: list[PlannedMessage] = []
    if preparation_hours is not None:
        send_at = into_window(wall_clock_before(start, tz, preparation_hours), tz, window)
        planned.append(PlannedMessage("preparation", "", max(send_at, now.astimezone(dt.UTC))))
    seen: set[dt.datetime] = set()
    for hours in sorted(set(reminder_hours), reverse=True):
        send_at = into_window(wall_clock_before(start, tz, hours), tz, window)
        if send_at <= now or send_at >= start or send_at in seen:
            continue
        seen.add(send_at)
        planned.append(PlannedMessage("reminder", f"{hours}h", send_at))
    return sorted(planned, key=lambda message: message.send_at)


RETRY_DELAYS_MINUTES: tuple[int, ...] = (1, 5, 30, 120)
"""How long to wait before each retry of a failed send; after the last, give up."""


def retry_delay(
    failed_attempts: int, delays: tuple[int, ...] = RETRY_DELAYS_MINUTES
) -> dt.timedelta | None:
    """The wait before the next attempt after ``failed_attempts`` failures, or None to give up."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts starts at 1")
    if failed_attempts > len(delays):
        return None
    return dt.timedelta(minutes=delays[failed_attempts - 1])
