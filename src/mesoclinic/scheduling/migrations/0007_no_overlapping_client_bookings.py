"""The database itself refuses a client's overlapping active appointments (issue 12): a
client is never in two places at once.

A client is busy from arrival (``start``, numbing begins) to ``end`` (no clinic buffer:
that is the practitioner's and the room's, not the client's).

PostgreSQL: an exclusion constraint ``appointment_no_client_overlap`` over half-open
``tstzrange(start, "end")`` (``btree_gist``, created by 0002); a violation is SQLSTATE
23P01 naming the constraint. SQLite: triggers, in the style of 0003 (looking back one day
only, sound because no appointment lasts a day), raising ``IntegrityError`` with the
message ``client_busy``.

Raw SQL only, no ``AlterField``: SQLite rebuilds a table by copying it, which would
silently drop every trigger on it. Creating the constraint fails on PostgreSQL while
overlapping active appointments of one client exist; the migration then names them so
they can be moved or cancelled first (nothing is changed behind anyone's back).
"""

from django.db import migrations

ACTIVE = "('booked', 'arrived', 'fulfilled')"
EVENTS = ("INSERT", "UPDATE")
CONSTRAINT = "appointment_no_client_overlap"

POSTGRES_OVERLAPS = f"""
    SELECT first.id, second.id FROM scheduling_appointment AS first
    JOIN scheduling_appointment AS second
      ON second.client_id = first.client_id
     AND second.id > first.id
     AND second.status IN {ACTIVE}
     AND second.start < first."end"
     AND first.start < second."end"
    WHERE first.status IN {ACTIVE}
    ORDER BY first.id, second.id
    LIMIT 20
"""
POSTGRES_CONSTRAINT = (
    f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {CONSTRAINT} "
    "EXCLUDE USING gist (client_id WITH =, "
    f"tstzrange(start, \"end\", '[)') WITH &&) WHERE (status IN {ACTIVE})"
)


def _sqlite_trigger(event: str) -> str:
    return f"""
        CREATE TRIGGER {CONSTRAINT}_{event.lower()}
        BEFORE {event} ON scheduling_appointment
        WHEN NEW.status IN {ACTIVE}
        BEGIN
            SELECT RAISE(ABORT, 'client_busy')
            WHERE EXISTS (
                SELECT 1 FROM scheduling_appointment AS other
                WHERE other.client_id = NEW.client_id
                  AND other.start > datetime(NEW.start, '-1 day')
                  AND other.start < NEW."end"
                  AND NEW.start < other."end"
                  AND other.id IS NOT NEW.id
                  AND other.status IN {ACTIVE}
            );
        END
    """


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_OVERLAPS)
            pairs = cursor.fetchall()
        if pairs:
            listed = ", ".join(f"{first}/{second}" for first, second in pairs)
            raise RuntimeError(
                "Cannot add the client overlap constraint: these active appointments of one "
                f"client overlap (ids, at most 20 pairs): {listed}. Move or cancel one of "
                "each pair, then migrate again."
            )
        schema_editor.execute(POSTGRES_CONSTRAINT)
    elif vendor == "sqlite":
        for event in EVENTS:
            schema_editor.execute(_sqlite_trigger(event))


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
        )
    elif vendor == "sqlite":
        for event in EVENTS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {CONSTRAINT}_{event.lower()}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0006_appointment_ics_sequence")]

    operations = [migrations.RunPython(create_guards, drop_guards, elidable=False)]
