"""Balances bounded by 21M BTC in the database; the idempotency key unique without its LIKE index.

The key's new constraint is added before ``unique=True`` goes, so no moment lacks one. SQLite
alters a column by rebuilding the table, which drops its triggers: the immutability trigger of
0002 is put back there.
"""

from django.conf import settings
from django.db import migrations, models


SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS wallets_journal_entry_immutable BEFORE UPDATE ON wallets_journal_entry "
    "BEGIN SELECT RAISE(ABORT, 'wallets: wallets_journal_entry rows are immutable; "
    "corrections are reversing entries'); END"
)


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("wallets", "0002_immutable_journal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Undone last when migrating back: the table rebuilt again, the trigger put back again.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
        migrations.AddConstraint(
            model_name="journalentry",
            constraint=models.UniqueConstraint(
                fields=("idempotency_key",), name="wallets_entry_key_once"
            ),
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="idempotency_key",
            field=models.CharField(max_length=220),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("balance_sat__lte", 2100000000000000), ("balance_sat__gte", -2100000000000000)
                ),
                name="wallets_account_balance_bounded",
            ),
        ),
    ]
