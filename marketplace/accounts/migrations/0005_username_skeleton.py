"""Each username's look-alike skeleton (services/username_rules.py), unique, filled for every account.

Unlike the roles of 0003, the skeleton is not data of its time but a function of the name: the
fill uses the rule the application checks new names with, so old and new rows compare alike.
Accounts are filled oldest first; one whose name looks like an older account's (both made before
this rule) keeps no skeleton, so the constraint can hold without renaming anybody. New names are
still compared with the older account's skeleton, which both share.
"""

from django.db import migrations, models


def fill_skeletons(apps, schema_editor):
    from services.username_rules import skeleton_key

    User = apps.get_model("accounts", "User")
    seen: set[str] = set()
    for pk, username in User.objects.order_by("date_joined", "pk").values_list("pk", "username").iterator():
        key = skeleton_key(username)
        if key not in seen:
            seen.add(key)
            User.objects.filter(pk=pk).update(username_skeleton=key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_mail_requests"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_skeleton",
            field=models.CharField(blank=True, editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_skeletons, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_skeleton",), name="accounts_user_username_skeleton_unique"
            ),
        ),
    ]
