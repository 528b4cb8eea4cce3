"""Scheduling API: availability, appointments, courses, absences and re-plans, iCalendar.

Thin handlers: check the role, parse and resolve input (400 for malformed input and
unknown codes, 404 for unknown ids), call one selector or service, shape the answer.
Datetimes go out as ISO 8601 with the site's offset (``2027-03-05T10:00:00+00:00``).
Reads that name a client are audited. Status codes: see ``scheduling.errors``.

One router per module, mounted in this order by ``api.urls``: ``availability``,
``appointments``, ``courses``, ``absences`` (and their re-plans), ``ical``. They share
``schemas``, ``parsing`` (input to values and rows) and ``shaping`` (rows to answers),
which ``api.waitlist`` uses too.
"""
