import contextlib
import copy

import pytest
from django.test import override_settings

from containers import runtime as app_runtime
from tests.support.ops import buyer_client, fresh_health, staff_client  # noqa: F401  (fixtures)
from tests.support.servers import private_redis, redis_server  # noqa: F401  (fixtures)
from tests.support.staff import staff_client_for  # noqa: F401  (fixtures)
from tests.support.wallets import *  # noqa: F401,F403  (wallets fixtures)

# The running system, users, staff, shops and products: what a module's own tests use too.
pytest_plugins = ["marketplace.testing"]


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Pages are drawn from the compiled catalogues, as ./dev serve compiles them."""
    from django.core.management import call_command

    call_command("compile_translations", verbosity=0)


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """A request's LocaleMiddleware leaves its language active in the thread after the test
    client's call, as no server would: the next test starts from the default again."""
    yield
    from django.utils import translation

    translation.deactivate()


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


from tests.support.api import api_client, api_token  # noqa: E402,F401  (fixtures)
from tests.support.catalog import *  # noqa: E402,F401,F403  (vendors and products fixtures)
from tests.support.orders import *  # noqa: E402,F401,F403  (orders and notifications fixtures)
