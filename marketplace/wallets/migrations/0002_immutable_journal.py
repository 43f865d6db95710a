"""Journal entries and postings cannot be changed once written, whatever code tries.

PostgreSQL refuses UPDATE and DELETE of single rows (TRUNCATE, which only a test database's
flush uses, stays possible); SQLite refuses UPDATE (its flush deletes rows one by one).
"""

from django.db import migrations

TABLES = ("wallets_journal_entry", "wallets_posting")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION wallets_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'wallets: % rows are immutable; corrections are reversing entries', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            POSTGRES_FUNCTION, params=None
        )  # its % is PL/pgSQL, not a placeholder
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION wallets_refuse_change()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'wallets: {table} rows are immutable; corrections are reversing entries'); END"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS wallets_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("wallets", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
