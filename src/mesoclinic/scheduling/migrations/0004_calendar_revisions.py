"""The calendar's revision clock and change log (``scheduling.busy`` reads them).

A trigger on ``scheduling_appointment`` advances ``scheduling_calendarclock.revision`` and
logs the changed appointment's id for every insert, delete and update of the columns that
decide who and what is busy when. The new revision commits with the change, and revisions
commit in order, so a reader that has seen revision ``r`` knows that every change up to
``r`` is in the log:

* SQLite has one writer at a time, so the triggers run as the rows change;
* PostgreSQL runs them at commit (a deferred constraint trigger), where the update of the
  clock's one row orders concurrent commits while holding that row's lock only for the
  commit itself, not for the rest of the booking's transaction.
"""

from django.db import migrations, models

BUSY_COLUMNS = (
    "site_id, practitioner_id, room_id, device_id, start, treatment_start, busy_until, status"
)
SQLITE_EVENTS = {
    "insert": ("INSERT", "NEW"),
    "update": (f"UPDATE OF {BUSY_COLUMNS}", "NEW"),
    "delete": ("DELETE", "OLD"),
}


FIRST_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM scheduling_calendarchange)"
"""A new clock (the table was emptied) continues after the log's last revision."""


def _sqlite_trigger(name: str, event: str, row: str) -> str:
    return f"""
        CREATE TRIGGER appointment_calendar_{name}
        AFTER {event} ON scheduling_appointment
        BEGIN
            INSERT INTO scheduling_calendarclock (id, revision, epoch)
                VALUES (1, {FIRST_REVISION}, random())
                ON CONFLICT (id) DO UPDATE SET revision = revision + 1;
            INSERT INTO scheduling_calendarchange (revision, appointment_id)
                SELECT revision, {row}.id FROM scheduling_calendarclock WHERE id = 1;
        END
    """


POSTGRES_FUNCTION = f"""
    CREATE FUNCTION scheduling_calendar_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        advanced bigint;
    BEGIN
        INSERT INTO scheduling_calendarclock (id, revision, epoch)
            VALUES (1, {FIRST_REVISION}, floor(random() * 9e15)::bigint)
            ON CONFLICT (id) DO UPDATE SET revision = scheduling_calendarclock.revision + 1
            RETURNING revision INTO advanced;
        INSERT INTO scheduling_calendarchange (revision, appointment_id)
            VALUES (advanced, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
        RETURN NULL;
    END
    $$
"""
POSTGRES_TRIGGER = f"""
    CREATE CONSTRAINT TRIGGER appointment_calendar_change
    AFTER INSERT OR DELETE OR UPDATE OF {BUSY_COLUMNS} ON scheduling_appointment
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION scheduling_calendar_change()
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name, (event, row) in SQLITE_EVENTS.items():
            schema_editor.execute(_sqlite_trigger(name, event, row))
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        schema_editor.execute(POSTGRES_TRIGGER)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS appointment_calendar_{name}")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS appointment_calendar_change ON scheduling_appointment"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS scheduling_calendar_change()")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_bounded_overlap_triggers")]

    operations = [
        migrations.CreateModel(
            name="CalendarChange",
            fields=[
                ("revision", models.BigIntegerField(primary_key=True, serialize=False)),
                ("appointment_id", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="CalendarClock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("revision", models.BigIntegerField()),
                ("epoch", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
