"""The audit table is append-only: triggers refuse ``UPDATE`` always, and ``DELETE`` (and
``TRUNCATE`` on PostgreSQL) unless the deleting transaction has put a row in
``core_audit_erasure``.

``core_audit_erasure`` is not a model, so Django's ``flush`` never empties it. Only
:func:`mesoclinic.core.audit_guard.audit_erasure_allowed` writes it: it inserts a row,
runs the block and deletes the row again, all in one transaction, so no other connection
ever sees the permission (PostgreSQL shows uncommitted rows to nobody else; SQLite has
one writer at a time). The test suite's flush goes through it; nothing else in the
application does. Both databases raise an integrity error (PostgreSQL: SQLSTATE 23001
``restrict_violation``; SQLite: ``RAISE(ABORT)``, a constraint failure).

SQLite rebuilds a table for most ``ALTER``s, which drops its triggers: a later migration
that alters ``core_auditentry`` must call :func:`create_triggers` again.
"""

from django.db import migrations

REFUSED = "audit entries are append-only"

SQLITE_STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS core_audit_erasure (reason TEXT NOT NULL)",
    f"""
    CREATE TRIGGER core_auditentry_no_update
    BEFORE UPDATE ON core_auditentry
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED}: UPDATE refused');
    END
    """,
    f"""
    CREATE TRIGGER core_auditentry_no_delete
    BEFORE DELETE ON core_auditentry
    WHEN NOT EXISTS (SELECT 1 FROM core_audit_erasure)
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED}: DELETE refused');
    END
    """,
)
POSTGRES_STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS core_audit_erasure (reason text NOT NULL)",
    f"""
    CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' AND EXISTS (SELECT 1 FROM core_audit_erasure) THEN
            IF TG_LEVEL = 'STATEMENT' THEN
                RETURN NULL;
            END IF;
            RETURN OLD;
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = '{REFUSED}: ' || TG_OP || ' refused', ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_audit_append_only()
    """,
    """
    CREATE TRIGGER core_auditentry_no_truncate
    BEFORE TRUNCATE ON core_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION core_audit_append_only()
    """,
)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_STATEMENTS, "postgresql": POSTGRES_STATEMENTS}.get(vendor, ())
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_delete")
        schema_editor.execute("DROP TABLE IF EXISTS core_audit_erasure")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry"
        )
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS core_audit_append_only()")
        schema_editor.execute("DROP TABLE IF EXISTS core_audit_erasure")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_auditentry_role_ip")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
