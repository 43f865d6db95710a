"""``python manage.py create_api_token USERNAME --scopes catalog:read,orders:write [--name N] [--days D]``.

For operators and scripts (a deployment that provisions an integration, the docs' example):
prints the new token alone on stdout, once. People make theirs on the account page.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from containers import runtime
from services.api_service import SCOPES
from services.errors import ServiceError


class Command(BaseCommand):
    help = f"Create a personal access token for a user and print it (once). Scopes: {', '.join(SCOPES)}."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scopes", required=True, help="comma-separated scopes")
        parser.add_argument("--name", default="made by create_api_token", help="what will use it")
        parser.add_argument("--days", type=int, default=None, help="expires after this many days (default: never)")

    def handle(self, *args, username, scopes, name, days, **options):
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        runtime.ensure_started()
        service = runtime.container.api.api_service()
        try:
            issued = service.create_token(
                user_id=user.pk,
                name=name,
                scopes=[scope.strip() for scope in scopes.split(",") if scope.strip()],
                expires_in_days=days,
            )
        except ServiceError as error:
            raise CommandError(error.message) from error
        self.stdout.write(issued.secret)
