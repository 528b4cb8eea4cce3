"""A ``TRUNCATE`` of the appointments restarts their revision clock (PostgreSQL).

Row triggers (migration 0004) do not fire for ``TRUNCATE``, so a process that keeps busy
time in memory would never learn that the appointments went. A statement trigger draws
a new ``epoch`` for the ``appointments`` clock instead: every reader then reloads. SQLite
has no ``TRUNCATE``; its ``DELETE`` without ``WHERE`` fires the row triggers.
"""

from django.db import migrations

POSTGRES_FUNCTION = """
    CREATE FUNCTION scheduling_calendar_restart() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO scheduling_calendarclock (key, revision, epoch)
            VALUES (
                'appointments',
                (SELECT COALESCE(MAX(revision), 0) + 1 FROM scheduling_calendarchange),
                floor(random() * 9e15)::bigint
            )
            ON CONFLICT (key) DO UPDATE
            SET revision = scheduling_calendarclock.revision + 1, epoch = EXCLUDED.epoch;
        RETURN NULL;
    END
    $$
"""
POSTGRES_TRIGGER = """
    CREATE TRIGGER appointment_calendar_restart
    AFTER TRUNCATE ON scheduling_appointment
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_calendar_restart()
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        schema_editor.execute(POSTGRES_TRIGGER)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS appointment_calendar_restart ON scheduling_appointment"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS scheduling_calendar_restart()")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_calendar_revisions")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
