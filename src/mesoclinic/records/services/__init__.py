"""Writes for the records domain: one function per change, one transaction, one audit entry.

The services are split by what they write; import them from their module:

* ``treatment_records``: :func:`record_save` validates every product batch (unknown, other
  product, expired, not enough stock), re-runs screening and writes the draft record whole
  or not at all; :func:`record_sign` locks it, takes the stock out of each batch and opens
  the follow-ups; :func:`addendum_add` is the only change a signed record accepts. What a
  record is written from (``ProductInput``, ``AreaInput``, ``ChartPointInput``) is in
  ``inputs``; the checks before writing are in ``validation``.
* ``assessments``: :func:`assessment_record` scores with the pure scales engine and stores
  a response-adaptive maintenance decision; :func:`photo_attach` strips EXIF before
  storing.
* Safety: ``adverse_events`` (:func:`adverse_event_report`), ``follow_ups``
  (:func:`follow_up_complete`), ``recall`` (:func:`recall_contact_mark`).
"""
