"""The database itself refuses overlapping active bookings of a practitioner, room or device.

PostgreSQL: exclusion constraints over half-open ``tstzrange(treatment_start, busy_until)``
(``btree_gist``); a violation is SQLSTATE 23P01. SQLite: triggers that abort an insert or
update that would overlap, raising ``IntegrityError`` with the message ``slot_unavailable``.
"""

from django.db import migrations

ACTIVE = "('booked', 'arrived', 'fulfilled')"
RESOURCES = {"practitioner": "practitioner_id", "room": "room_id", "device": "device_id"}


def _postgres_sql() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS btree_gist"]
    for resource, column in RESOURCES.items():
        statements.append(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_{resource}_overlap "
            f"EXCLUDE USING gist ({column} WITH =, "
            f"tstzrange(treatment_start, busy_until, '[)') WITH &&) WHERE (status IN {ACTIVE})"
        )
    return statements


def _sqlite_trigger(resource: str, column: str, event: str) -> str:
    return f"""
        CREATE TRIGGER appointment_no_{resource}_overlap_{event.lower()}
        BEFORE {event} ON scheduling_appointment
        WHEN NEW.status IN {ACTIVE} AND NEW.{column} IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'slot_unavailable')
            WHERE EXISTS (
                SELECT 1 FROM scheduling_appointment AS other
                WHERE other.{column} = NEW.{column}
                  AND other.id IS NOT NEW.id
                  AND other.status IN {ACTIVE}
                  AND other.treatment_start < NEW.busy_until
                  AND NEW.treatment_start < other.busy_until
            );
        END
    """


def _sqlite_sql() -> list[str]:
    return [
        _sqlite_trigger(resource, column, event)
        for resource, column in RESOURCES.items()
        for event in ("INSERT", "UPDATE")
    ]


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _postgres_sql, "sqlite": _sqlite_sql}.get(vendor, list)()
    for statement in statements:
        schema_editor.execute(statement)


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for resource in RESOURCES:
        if vendor == "postgresql":
            schema_editor.execute(
                "ALTER TABLE scheduling_appointment "
                f"DROP CONSTRAINT IF EXISTS appointment_no_{resource}_overlap"
            )
        elif vendor == "sqlite":
            for event in ("insert", "update"):
                schema_editor.execute(
                    f"DROP TRIGGER IF EXISTS appointment_no_{resource}_overlap_{event}"
                )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(create_guards, drop_guards, elidable=False)]
