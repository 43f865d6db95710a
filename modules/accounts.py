"""Accounts: users, sign-in and profiles. The first module every other one builds on."""

from dependency_injector import containers, providers
from django.contrib.auth import get_user_model
from modkit import BaseModule, module

from services.account_mail import AccountMail
from services.send_limiter import SendLimiter
from services.two_factor_service import TwoFactorService
from services.user_service import UserService

DEMO_PASSWORD = "demo-password-123"
# (username, display name, staff roles). One person per role, least privilege as in
# services/staff_access.py; finance twice, because money moved by hand needs two different finance
# people (a deposit proposed by one is confirmed by the other; a large withdrawal needs two
# approvers). No all-powerful account: superusers are made by hand (``createsuperuser``).
DEMO_USERS = [
    ("alice", "Alice (buyer)", ()),
    ("bob", "Bob's Hardware (vendor)", ()),
    ("carol", "Carol's Books (vendor)", ()),
    ("support", "Sam (support)", ("support",)),
    ("moderator", "Mo (moderator)", ("moderator",)),
    ("finance", "Fran (finance)", ("finance",)),
    ("treasurer", "Tess (finance)", ("finance",)),
    ("operator", "Otto (operator)", ("operator",)),
]


class AccountsContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()

    # Sign-in throttling is django-axes' (settings AXES_*): it counts in the database, per request.
    send_limiter = providers.Factory(SendLimiter, clock=core.clock, window_seconds=config.mail_window_seconds.as_int())
    account_mail = providers.Factory(
        AccountMail,
        limiter=send_limiter,
        tasks=core.task_service,
        link_max_age_seconds=config.email_link_max_age_seconds.as_int(),
        per_recipient=config.mails_per_recipient.as_int(),
        per_client=config.mails_per_client.as_int(),
    )
    user_service = providers.Factory(
        UserService,
        events=core.events,
        account_mail=account_mail,
        min_password_length=config.min_password_length.as_int(),
        login_max_attempts=config.login_max_attempts.as_int(),
        login_window_seconds=config.login_window_seconds.as_int(),
    )
    two_factor_service = providers.Factory(TwoFactorService, staff_access=core.staff_access)


@module(
    name="accounts",
    version="1.0.0",
    description="Users, registration, sign-in with throttling and two factors, profiles and passwords",
    author="Marketplace team",
    dependencies=[],
)
class AccountsModule(BaseModule):
    container_class = AccountsContainer
    apps = ("marketplace.accounts",)
    page_slots = ("profile",)  # cards of other modules on the profile page (API tokens, webhooks)
    publishes = {
        "accounts.user_registered": "user_id",
        "accounts.email_verified": "user_id",
    }
    # Its e-mails (address verification, password reset) leave from a task worker.
    tasks = {"send_mail": "account_mail.send_now"}
    urls = "marketplace.accounts.urls"
    url_prefix = "accounts/"
    wire = (
        "marketplace.accounts.views",
        "marketplace.accounts.email_views",
        "marketplace.accounts.two_factor_views",
    )

    def initialize(self) -> bool:
        # Refuse to serve on an unusable configuration or a database without our table.
        config = self.container.user_service().get_required_config()
        if config["min_password_length"] < 8:
            raise ValueError("accounts.min_password_length must be at least 8")
        get_user_model().objects.exists()
        return True

    def load_demo_data(self) -> list[str]:
        service = self.container.user_service()
        access = self.container.core.staff_access()
        created = []
        for username, display_name, roles in DEMO_USERS:
            if get_user_model().objects.filter(username=username).exists():
                continue
            user = service.register(username=username, email=f"{username}@example.com", password=DEMO_PASSWORD)
            service.update_profile(user_id=user.pk, display_name=display_name, email=user.email, bio="")
            # Notifications go only to proven addresses (User.email_verified); the demo's should get theirs.
            get_user_model().objects.filter(pk=user.pk).update(email_verified=True)
            if roles:
                access.set_roles(user_id=user.pk, roles=roles)
            created.append(username)
        names = ", ".join(
            name if roles in ((), (name,)) else f"{name} ({', '.join(roles)})" for name, _, roles in DEMO_USERS
        )
        return [f"{len(created)} user(s) created; sign in as {names} with password {DEMO_PASSWORD!r}"]

    def health_checks(self):
        return {
            "users_table": self._users_table,
            "user_service": lambda: self.container.user_service().get_required_config(),
        }

    @staticmethod
    def _users_table() -> dict:
        User = get_user_model()
        return {"table": User._meta.db_table, "reachable": User.objects.exists() in (True, False)}
