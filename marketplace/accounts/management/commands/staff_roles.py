"""``python manage.py staff_roles USERNAME [--set role,role | --clear]``: see or give staff roles.

Operators grant roles here without the admin; the rule of what each role may do is
``services/staff_access.py`` (``ROLES``), which this only calls.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from containers import runtime
from services.errors import ServiceError
from services.staff_access import ROLES


class Command(BaseCommand):
    help = (
        "Print a user's staff roles, or set them (--set support,finance) or remove them (--clear). "
        f"Roles: {', '.join(ROLES)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        change = parser.add_mutually_exclusive_group()
        change.add_argument(
            "--set", metavar="ROLES", help="comma-separated roles the user holds from now on, and only those"
        )
        change.add_argument("--clear", action="store_true", help="remove every staff role")

    def handle(self, *args, username, **options):
        runtime.ensure_started()  # so the modules that keep pages per person hear of the change
        access = runtime.container.core.staff_access()
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if options["set"] is not None or options["clear"]:
            wanted = [] if options["clear"] else [r.strip() for r in options["set"].split(",") if r.strip()]
            if not wanted and not options["clear"]:
                raise CommandError(f"--set needs at least one role ({', '.join(ROLES)}); --clear removes them all")
            try:
                access.set_roles(user_id=user.pk, roles=wanted)
            except ServiceError as error:
                raise CommandError(error.message) from None
            user.refresh_from_db()
        roles = access.roles(user)
        line = f"{user.username}: {', '.join(roles) if roles else 'no staff role'}"
        if user.is_superuser:
            line += " (superuser: may do everything whatever the roles)"
        self.stdout.write(line)
