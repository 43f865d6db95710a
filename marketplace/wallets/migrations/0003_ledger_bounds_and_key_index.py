"""Balances bounded by 21M BTC in the database; the idempotency key unique without its LIKE index.

The key's new constraint is added before ``unique=True`` goes, so no moment lacks one.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("wallets", "0002_immutable_journal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
