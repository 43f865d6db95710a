"""The four staff roles as groups, the staff audit log append-only, existing addresses kept usable.

Roles and their capabilities are listed once, in ``services/staff_access.py``; this migration
copies them as they were when it was written, as migrations must.
"""

from django.db import migrations

CAPABILITIES = {
    "view_any_order": "Look up any order, its history and disputes (read-only)",
    "moderate_catalog": "Review reported listings and hide or restore them",
    "manage_vendors": "Approve, reject, suspend and reinstate shops",
    "handle_deposits": "Propose and confirm deposits recorded by hand",
    "handle_withdrawals": "Approve or reject withdrawals",
    "rule_disputes": "Rule on disputed orders (refund, release, split)",
    "audit_ledger": "Read the ledger audit and the staff audit log",
    "operate": "Ops page, health details, metrics, reloads",
}
ROLES = {
    "support": ["view_any_order"],
    "moderator": ["moderate_catalog", "manage_vendors"],
    "finance": ["handle_deposits", "handle_withdrawals", "rule_disputes", "audit_ledger", "view_any_order"],
    "operator": ["operate"],
}

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION accounts_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts: % rows are append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); the groups need them now.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="staffaction")
    for codename, name in CAPABILITIES.items():
        Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames))
    # Addresses registered before verification existed keep receiving notifications.
    apps.get_model("accounts", "User").objects.update(email_verified=True)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        schema_editor.execute(
            "CREATE TRIGGER accounts_staff_action_append_only BEFORE UPDATE OR DELETE ON accounts_staff_action "
            "FOR EACH ROW EXECUTE FUNCTION accounts_refuse_change()"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER accounts_staff_action_append_only BEFORE UPDATE ON accounts_staff_action "
            "BEGIN SELECT RAISE(ABORT, 'accounts: accounts_staff_action rows are append-only'); END"
        )


def allow_changes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS accounts_staff_action_append_only ON accounts_staff_action")
        schema_editor.execute("DROP FUNCTION IF EXISTS accounts_refuse_change()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS accounts_staff_action_append_only")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_actions_and_email_verified"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, drop_roles, elidable=False),
        migrations.RunPython(append_only, allow_changes, elidable=False),
    ]
