"""Revision clocks and the appointments' change log (``scheduling.busy`` and
``scheduling.site_resources`` read them to keep data in memory between requests).

Triggers advance ``scheduling_calendarclock``:

* ``appointments`` for every insert and delete of an appointment and every update of the
  columns that decide who and what is busy when, logging the appointment's id in
  ``scheduling_calendarchange`` under the new revision. The revision commits with the
  change and revisions commit in order, so a reader that has seen revision ``r`` knows
  that every change up to ``r`` is in the log. SQLite has one writer at a time, so its
  triggers run as rows change; PostgreSQL runs them at commit (a deferred constraint
  trigger), where the update of the clock's row orders concurrent commits while holding
  its lock only for the commit, not for the rest of a booking's transaction. A new clock
  (the table was emptied) continues after the log's last revision.
* ``resources`` for any write to the tables that say who works where and when, and which
  rooms and devices exist (a statement-level trigger on PostgreSQL).
"""

from django.db import migrations, models

BUSY_COLUMNS = (
    "site_id, practitioner_id, room_id, device_id, start, treatment_start, busy_until, status"
)
RESOURCE_TABLES = (
    "people_site",
    "people_openinghours",
    "people_closedday",
    "people_practitioner",
    "people_practitioner_sites",
    "people_workinghours",
    "people_absence",
    "people_room",
    "people_device",
)
FIRST_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM scheduling_calendarchange)"
SQLITE_APPOINTMENT_EVENTS = {
    "insert": ("INSERT", "NEW"),
    "update": (f"UPDATE OF {BUSY_COLUMNS}", "NEW"),
    "delete": ("DELETE", "OLD"),
}
SQLITE_ADVANCE = """
    INSERT INTO scheduling_calendarclock (key, revision, epoch) VALUES ('{key}', {first}, random())
        ON CONFLICT (key) DO UPDATE SET revision = revision + 1;
"""


def _sqlite_appointment_trigger(name: str, event: str, row: str) -> str:
    advance = SQLITE_ADVANCE.format(key="appointments", first=FIRST_REVISION)
    return f"""
        CREATE TRIGGER appointment_calendar_{name}
        AFTER {event} ON scheduling_appointment
        BEGIN
            {advance}
            INSERT INTO scheduling_calendarchange (revision, appointment_id)
                SELECT revision, {row}.id FROM scheduling_calendarclock
                WHERE key = 'appointments';
        END
    """


def _sqlite_resource_trigger(table: str, event: str) -> str:
    return f"""
        CREATE TRIGGER {table}_resources_{event.lower()}
        AFTER {event} ON {table}
        BEGIN
            {SQLITE_ADVANCE.format(key="resources", first=1)}
        END
    """


POSTGRES_APPOINTMENT_FUNCTION = f"""
    CREATE FUNCTION scheduling_calendar_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        advanced bigint;
    BEGIN
        INSERT INTO scheduling_calendarclock (key, revision, epoch)
            VALUES ('appointments', {FIRST_REVISION}, floor(random() * 9e15)::bigint)
            ON CONFLICT (key) DO UPDATE SET revision = scheduling_calendarclock.revision + 1
            RETURNING revision INTO advanced;
        INSERT INTO scheduling_calendarchange (revision, appointment_id)
            VALUES (advanced, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
        RETURN NULL;
    END
    $$
"""
POSTGRES_APPOINTMENT_TRIGGER = f"""
    CREATE CONSTRAINT TRIGGER appointment_calendar_change
    AFTER INSERT OR DELETE OR UPDATE OF {BUSY_COLUMNS} ON scheduling_appointment
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION scheduling_calendar_change()
"""
POSTGRES_RESOURCE_FUNCTION = """
    CREATE FUNCTION scheduling_resources_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO scheduling_calendarclock (key, revision, epoch)
            VALUES ('resources', 1, floor(random() * 9e15)::bigint)
            ON CONFLICT (key) DO UPDATE SET revision = scheduling_calendarclock.revision + 1;
        RETURN NULL;
    END
    $$
"""


def _postgres_resource_trigger(table: str) -> str:
    return f"""
        CREATE TRIGGER {table}_resources
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION scheduling_resources_change()
    """


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name, (event, row) in SQLITE_APPOINTMENT_EVENTS.items():
            schema_editor.execute(_sqlite_appointment_trigger(name, event, row))
        for table in RESOURCE_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(_sqlite_resource_trigger(table, event))
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_APPOINTMENT_FUNCTION)
        schema_editor.execute(POSTGRES_APPOINTMENT_TRIGGER)
        schema_editor.execute(POSTGRES_RESOURCE_FUNCTION)
        for table in RESOURCE_TABLES:
            schema_editor.execute(_postgres_resource_trigger(table))


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_APPOINTMENT_EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS appointment_calendar_{name}")
        for table in RESOURCE_TABLES:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_resources_{event}")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS appointment_calendar_change ON scheduling_appointment"
        )
        for table in RESOURCE_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_resources ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS scheduling_calendar_change()")
        schema_editor.execute("DROP FUNCTION IF EXISTS scheduling_resources_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_bounded_overlap_triggers"),
        ("people", "0001_initial"),
    ]

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
                ("key", models.CharField(max_length=20, primary_key=True, serialize=False)),
                ("revision", models.BigIntegerField()),
                ("epoch", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
