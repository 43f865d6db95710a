"""Edit code on disk in a copy of the project, reload, and watch a real view change (or not).

Run by tests/integration/test_hot_reload.py inside a disposable copy; prints one JSON report.
"""

import json
import re
from pathlib import Path

from boot import boot

runtime = boot()

from django.test import Client  # noqa: E402

from containers import ReloadFailed  # noqa: E402

ROOT = Path.cwd()
SERVICE = ROOT / "services" / "user_service.py"
MODULE = ROOT / "modules" / "accounts.py"
MAIL = ROOT / "services" / "account_mail.py"
ORIGINAL_MAIL = MAIL.read_text()
ORIGINAL_SERVICE = SERVICE.read_text()
ORIGINAL_MODULE = MODULE.read_text()
LINE = '"min_password_length": self.min_password_length,'
assert LINE in ORIGINAL_SERVICE

client = Client()
report: dict = {"steps": []}


def shown() -> int:
    page = client.get("/accounts/register/")
    assert page.status_code == 200, page.status_code
    return int(re.search(rb"at least (\d+) characters", page.content).group(1))


def service_with(value: int) -> str:
    return ORIGINAL_SERVICE.replace(LINE, f'"min_password_length": {value},')


def step(label: str, action) -> None:
    try:
        result = action()
        outcome = {"ok": True, "generation": getattr(result, "generation", None)}
    except ReloadFailed as failed:
        outcome = {"ok": False, "error": failed.result.error}
    outcome.update(
        label=label,
        shown=shown(),
        state=runtime.modules.states()["accounts"],
        version=runtime.modules.get("accounts").version,
        health=runtime.container.core.health_service().system()["components"]["module.accounts"]["status"],
    )
    report["steps"].append(outcome)


report["initial"] = shown()

SERVICE.write_text(service_with(4242))
step("service edited", lambda: runtime.reload_service("user_service"))

SERVICE.write_text(service_with(5151) + "\ndef broken(:\n")
step("service syntax error", lambda: runtime.reload_service("user_service"))
step("module reload with the broken service", lambda: runtime.reload_module("accounts"))

SERVICE.write_text(service_with(7777))
step("service fixed", lambda: runtime.reload_service("user_service"))

SERVICE.write_text(service_with(5555))
MODULE.write_text(
    ORIGINAL_MODULE.replace(
        "    def initialize(self) -> bool:\n",
        "    def initialize(self) -> bool:\n        raise RuntimeError('initialize exploded')\n",
    )
)
step("module initialize raises", lambda: runtime.reload_module("accounts"))

MODULE.write_text(ORIGINAL_MODULE.replace('version="1.0.0"', 'version="1.1.0"'))
step("module version 1.1.0", lambda: runtime.reload_module("accounts"))

MODULE.write_text(
    ORIGINAL_MODULE.replace('version="1.0.0"', 'version="1.2.0"').replace(
        '"users_table": self._users_table,', '"users_table": self._users_table, "doomed": lambda: 1 / 0,'
    )
)
step("module health check fails", lambda: runtime.reload_module("accounts"))

# Two services change together: the new user_service calls a method only the new account_mail has.
MAIL.write_text(ORIGINAL_MAIL + "\n    def describe(self) -> int:\n        return 6060\n")
SERVICE.write_text(ORIGINAL_SERVICE.replace(LINE, '"min_password_length": self._mail.describe(),'))
MODULE.write_text(ORIGINAL_MODULE.replace('version="1.0.0"', 'version="1.2.1"'))
step("module with two services changed together", lambda: runtime.reload_module("accounts"))

MODULE.write_text(ORIGINAL_MODULE.replace('version="1.0.0"', 'version="1.3.0"'))
SERVICE.write_text(ORIGINAL_SERVICE)
MAIL.write_text(ORIGINAL_MAIL)
step("everything restored", lambda: runtime.reload_module("accounts"))

report["reload_log"] = [r.as_dict() for r in runtime.reloads]
print(json.dumps(report))
