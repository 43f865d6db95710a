"""Withdrawal approvals cannot be changed once written: the four-eyes record stands.

As for journal entries (0002): PostgreSQL refuses UPDATE and DELETE of single rows (TRUNCATE, which
only a test database's flush uses, stays possible); SQLite refuses UPDATE (its flush deletes rows
one by one). An approval taken back is a rejection, which is recorded elsewhere.
"""

from django.db import migrations

TABLE = "wallets_withdrawal_approval"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION wallets_refuse_approval_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'wallets: % rows are immutable; reject the withdrawal instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # its % is PL/pgSQL, not a placeholder
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_immutable BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION wallets_refuse_approval_change()"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_immutable BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, 'wallets: {TABLE} rows are immutable; reject the withdrawal instead'); END"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_immutable ON {TABLE}")
        schema_editor.execute("DROP FUNCTION IF EXISTS wallets_refuse_approval_change()")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_immutable")


class Migration(migrations.Migration):
    dependencies = [("wallets", "0004_four_eyes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
