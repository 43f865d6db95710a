"""A module that cannot start: it and its dependants answer 503, everything else serves.

Run with MARKETPLACE_MODULES naming the fixture modules; prints one JSON report.
"""

import json
import os
from pathlib import Path

flag = Path(os.environ["MARKETPLACE_VAR_DIR"]) / "inventory-broken"
flag.parent.mkdir(exist_ok=True)
flag.write_text("broken")

from boot import boot  # noqa: E402

runtime = boot()

from django.test import Client  # noqa: E402

client = Client()
from django.contrib.auth import get_user_model  # noqa: E402

from tests.support.staff import verified_client  # noqa: E402

operator = get_user_model().objects.create_user("ops", password="x" * 12)
runtime.container.core.staff_access().set_roles(user_id=operator.pk, roles=["operator"])
staff = verified_client(operator)


def look() -> dict:
    pages = {}
    for url in ("/", "/accounts/login/", "/inventory/", "/reports/"):
        response = client.get(url)
        pages[url] = {"status": response.status_code, "body": response.content.decode()[:3000]}
    health = runtime.container.core.health_service()
    health._memo.clear()
    system = health.system()
    return {
        "states": runtime.modules.states(),
        "errors": {name: runtime.modules.record(name).error for name in runtime.modules.names()},
        "pages": pages,
        "health": system["status"],
        "ready": client.get("/health/ready").status_code,
        "retry_after": client.get("/inventory/").get("Retry-After"),
        "ops": {"status": (ops := staff.get("/ops/")).status_code, "body": ops.content.decode()},
    }


report = {"before": look()}
flag.unlink()
result = runtime.reload_module("inventory")
report["reload_ok"] = result.ok
report["after"] = look()
print(json.dumps(report))
