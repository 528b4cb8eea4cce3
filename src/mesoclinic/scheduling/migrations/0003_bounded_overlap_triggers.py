"""SQLite's overlap triggers look back one day only, so a booking's check costs the same
whatever the length of the history (the index on ``(resource, treatment_start)`` is used as
a bounded range). Sound because no appointment lasts a day: a treatment's numbing and
treatment minutes are capped at 12 hours (``catalogue.treatment_length_max``).
"""

from django.db import migrations

ACTIVE = "('booked', 'arrived', 'fulfilled')"
RESOURCES = {"practitioner": "practitioner_id", "room": "room_id", "device": "device_id"}
EVENTS = ("INSERT", "UPDATE")


def _trigger(resource: str, column: str, event: str) -> str:
    return f"""
        CREATE TRIGGER appointment_no_{resource}_overlap_{event.lower()}
        BEFORE {event} ON scheduling_appointment
        WHEN NEW.status IN {ACTIVE} AND NEW.{column} IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'slot_unavailable')
            WHERE EXISTS (
                SELECT 1 FROM scheduling_appointment AS other
                WHERE other.{column} = NEW.{column}
                  AND other.treatment_start > datetime(NEW.treatment_start, '-1 day')
                  AND other.treatment_start < NEW.busy_until
                  AND NEW.treatment_start < other.busy_until
                  AND other.id IS NOT NEW.id
                  AND other.status IN {ACTIVE}
            );
        END
    """


def _drop_all(schema_editor) -> None:
    for resource in RESOURCES:
        for event in EVENTS:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS appointment_no_{resource}_overlap_{event.lower()}"
            )


def bound_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    _drop_all(schema_editor)
    for resource, column in RESOURCES.items():
        for event in EVENTS:
            schema_editor.execute(_trigger(resource, column, event))


def unbound_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    previous = __import__(
        "mesoclinic.scheduling.migrations.0002_no_overlapping_bookings", fromlist=["_sqlite_sql"]
    )
    _drop_all(schema_editor)
    for statement in previous._sqlite_sql():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_no_overlapping_bookings"),
        ("catalogue", "0003_treatment_length_max"),
    ]

    operations = [migrations.RunPython(bound_triggers, unbound_triggers, elidable=False)]
