"""The seed guide's shell snippets, pasted into ``python manage.py shell`` (paths as DESIGN.md §9)."""

import os
import subprocess
import sys

import pytest

from tests.support.projects import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

SNIPPETS = """
from modules import ModuleRegistry
from containers import ServiceRegistry
print("Modular system is ready!")

from marketplace.apps import MarketplaceConfig
app = MarketplaceConfig()
health = app.get_system_health()
print(f"System Status: {health['status']}")

from modules import AccountsModule
module = AccountsModule()
module.initialize()
health = module.get_module_health()
print(f"Module Health: {health}")

metrics = app.get_system_metrics()
print(f"Performance: {sorted(metrics)}")

from containers import user_service
service = user_service()
print(f"Required config: {service.get_required_config()}")
print(f"Dependencies: {module.get_dependencies()}")

from django.db import connection
cursor = connection.cursor()
cursor.execute("SELECT 1")
result = cursor.fetchone()
print(f"Database connection: {'OK' if result else 'FAILED'}")

print("reload_module:", app.reload_module('accounts').ok)
print("reload_service:", app.reload_service('user_service').ok)

from modules.base import BaseModule
from modules.decorators import module as module_decorator

@module_decorator(name="my_module", version="1.0.0", description="My custom module",
                  author="Your Name", dependencies=[])
class MyModule(BaseModule):
    def initialize(self):
        return True
    def cleanup(self):
        return True

print("custom module:", MyModule().initialize(), MyModule().cleanup())

from services.user_service import UserService
class CustomUserService(UserService):
    def custom_method(self):
        return "Custom result"
print("extension:", CustomUserService.__mro__[1].__name__)
print("get_user_by_id:", callable(user_service().get_user_by_id))
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    var = tmp_path_factory.mktemp("seed-var")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.dev",
        "MARKETPLACE_VAR_DIR": str(var),
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell"],
        cwd=ROOT,
        env=env,
        input=SNIPPETS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, shell.stderr
    assert "Traceback" not in shell.stderr, shell.stderr
    return shell.stdout


@pytest.mark.parametrize(
    "line",
    [
        "Modular system is ready!",
        "System Status: UP",
        "Module Health: {'module': 'accounts', 'version': '1.0.0', 'status': 'UP'",
        "Required config: {'min_password_length': 10, 'login_max_attempts': 5, 'login_window_seconds': 300}",
        "Dependencies: []",
        "Database connection: OK",
        "reload_module: True",
        "reload_service: True",
        "custom module: True True",
        "extension: UserService",
        "get_user_by_id: True",
    ],
)
def test_snippet_prints_a_real_value(output, line):
    assert line in output, output


def test_metrics_name_what_the_guide_promises(output):
    line = next(line for line in output.splitlines() if line.startswith("Performance: "))
    for key in ("'uptime_seconds'", "'modules'", "'services'", "'reloads'"):
        assert key in line, line
