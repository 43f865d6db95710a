from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "marketplace.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        post_migrate.connect(sync_staff_roles, dispatch_uid="accounts.sync_staff_roles")


def sync_staff_roles(sender=None, using="default", apps=None, **kwargs):
    """Keep each role's group holding exactly what services/staff_access.py says it holds.

    Runs once per ``migrate``, after the last app's permissions exist (post_migrate fires per app,
    in INSTALLED_APPS order); migration 0003 made the groups. A permission whose app is not
    installed is skipped.
    """
    from django.apps import apps as installed
    from django.db.models import Q

    if sender is None or sender.label != list(installed.get_app_configs())[-1].label:
        return
    # ``flush`` (run between transactional tests) sends post_migrate without ``apps``: the groups it
    # emptied must come back all the same, from the installed models.
    apps = apps or installed

    from services.staff_access import ADMIN_VIEWS, ROLES

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, capabilities in ROLES.items():
        names = [c.value for c in capabilities] + list(ADMIN_VIEWS.get(role, ()))
        wanted = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".", 1)
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(Permission.objects.using(using).filter(wanted))
