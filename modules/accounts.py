"""Accounts: users, sign-in and profiles. The first module every other one builds on."""

from dependency_injector import containers, providers
from django.contrib.auth import get_user_model

from modules.base import BaseModule
from modules.decorators import module
from services.login_throttle import LoginThrottle
from services.user_service import UserService

DEMO_PASSWORD = "demo-password-123"
DEMO_USERS = [
    ("alice", "Alice (buyer)", False),
    ("bob", "Bob's Hardware (vendor)", False),
    ("carol", "Carol's Books (vendor)", False),
    ("staff", "Marketplace staff", True),
]


class AccountsContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()

    login_throttle = providers.Factory(
        LoginThrottle,
        cache=core.cache,
        max_attempts=config.login_max_attempts.as_int(),
        window_seconds=config.login_window_seconds.as_int(),
    )
    user_service = providers.Factory(
        UserService,
        login_throttle=login_throttle,
        events=core.events,
        min_password_length=config.min_password_length.as_int(),
    )


@module(
    name="accounts",
    version="1.0.0",
    description="Users, registration, sign-in with throttling, profiles and passwords",
    author="Marketplace team",
    dependencies=[],
)
class AccountsModule(BaseModule):
    container_class = AccountsContainer
    urls = "marketplace.accounts.urls"
    url_prefix = "accounts/"
    wire = ("marketplace.accounts.views",)

    def initialize(self) -> bool:
        # Refuse to serve on an unusable configuration or a database without our table.
        config = self.container.user_service().get_required_config()
        if config["min_password_length"] < 8:
            raise ValueError("accounts.min_password_length must be at least 8")
        get_user_model().objects.exists()
        return True

    def load_demo_data(self) -> list[str]:
        service = self.container.user_service()
        created = []
        for username, display_name, staff in DEMO_USERS:
            if get_user_model().objects.filter(username=username).exists():
                continue
            user = service.register(
                username=username, email=f"{username}@example.com", password=DEMO_PASSWORD
            )
            service.update_profile(
                user_id=user.pk, display_name=display_name, email=user.email, bio=""
            )
            if staff:
                service.set_staff(user_id=user.pk, is_staff=True)
            created.append(username)
        names = ", ".join(u[0] for u in DEMO_USERS)
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
