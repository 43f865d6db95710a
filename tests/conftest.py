import contextlib
import copy

import pytest
from django.test import override_settings

from containers import container as app_container
from containers import runtime as app_runtime
from tests.support.ops import buyer_client, fresh_health, staff_client  # noqa: F401  (fixtures)
from tests.support.servers import private_redis, redis_server  # noqa: F401  (fixtures)
from tests.support.staff import make_staff, staff_client_for  # noqa: F401  (fixtures)
from tests.support.wallets import *  # noqa: F401,F403  (wallets fixtures)


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests leave the run (deselected, counted) on any other database."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    keep, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session", autouse=True)
def started_runtime(django_db_setup, django_db_blocker):
    """Modules start once per run, on the test database, as on a server's first request.

    pytest-django creates a test database only when a collected test asks for one; the modules
    start on a database whatever runs, so make sure it is a test database, never the real one.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    created = None
    with django_db_blocker.unblock():
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        app_runtime.ensure_started()
    yield app_runtime
    if created is not None:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_reload_history():
    """Each test starts with no reload on record and no remembered health report: a reload
    another test refused on purpose must not leave this one's system DEGRADED."""
    app_runtime.reloads.clear()
    app_container.core.health_service()._memo.clear()
    yield


@pytest.fixture
def container():
    return app_container


@pytest.fixture
def runtime():
    return app_runtime


@pytest.fixture
def marketplace_config(settings):
    """``with marketplace_config(accounts={...}, services={...}, reload=[...])``: settings changed
    and the named services/modules reloaded; both undone at the end of the block."""

    @contextlib.contextmanager
    def change(reload: list[str] | tuple[str, ...] = (), **slices):
        from django.conf import settings as live

        updated = copy.deepcopy(live.MARKETPLACE)
        for key, value in slices.items():
            if isinstance(value, dict) and isinstance(updated.get(key), dict):
                updated[key] = {**updated[key], **value}
            else:
                updated[key] = value
        try:
            with override_settings(MARKETPLACE=updated):
                for target in reload:
                    _reload(target)
                yield
        finally:
            for target in reload:
                _reload(target)

    return change


def _reload(target: str) -> None:
    if target in app_runtime.modules:
        app_runtime.reload_module(target)
    else:
        app_runtime.reload_service(target)


@pytest.fixture
def make_user(db):
    from containers import user_service

    counter = iter(range(1, 10_000))

    def make(username: str | None = None, password: str = "a sturdy passphrase", **extra):
        if "is_staff" in extra:
            raise TypeError("make_user(is_staff=...) is gone: staff hold roles, use make_staff(role) or roles=")
        n = next(counter)
        username = username or f"user{n}"
        user = user_service().register(
            username=username, email=extra.pop("email", f"{username}@example.com"), password=password
        )
        # An established user: their address confirmed, as if they had opened the link.
        if extra.pop("email_verified", True):
            user_service().mark_email_verified(user_id=user.pk)
            user.refresh_from_db()
        if extra.get("roles"):
            roles = extra["roles"]
            names = [r.strip() for r in roles.split(",")] if isinstance(roles, str) else list(roles)
            app_container.core.staff_access().set_roles(user_id=user.pk, roles=names)
            user.refresh_from_db()
        user.raw_password = password
        return user

    return make


from tests.support.catalog import *  # noqa: E402,F401,F403  (vendors and products fixtures)
from tests.support.orders import *  # noqa: E402,F401,F403  (orders and notifications fixtures)
