"""The example module, as a stranger would add it: built as a wheel, pip-installed, one line of settings.

A copy of the project gets a fresh virtual environment with the project's own dependencies, the
wheel of ``examples/favourites`` installed into it, and ``"favourites",`` added to the module
list. It is then migrated, served by gunicorn, used by a buyer, reloaded and seen by an operator;
the module's own test suite runs there too; and taking the line out again takes its pages away.
"""

import difflib
import os
import re
import subprocess
import sys

import pytest

from tests.support.http import HttpClient
from tests.support.operator_login import ENROL, sign_in_operator
from tests.support.projects import ROOT, copy_project
from tests.support.servers import Gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

SETTINGS = "marketplace/settings/base.py"
LINE = '        "notifications",\n'


def _run(*args, cwd, env=None, timeout=900) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done.stdout


def _env(project, **extra) -> dict:
    # Nothing of this suite's environment but the machine's: the copy's settings, its database.
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON", "DATABASE_URL", "REDIS_URL"))}
    keep.pop("MARKETPLACE_MODULES", None)
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"sqlite:///{project / 'var' / 'db.sqlite3'}",
        "MARKETPLACE_VAR_DIR": str(project / "var"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        **extra,
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("favourites")
    project = copy_project(base / "project")
    settings = project / SETTINGS
    before = settings.read_text()
    assert before.count(LINE) == 1
    settings.write_text(before.replace(LINE, LINE + '        "favourites",\n'))

    venv = base / "venv"
    _run(sys.executable, "-m", "venv", str(venv), cwd=base)
    python = str(venv / "bin" / "python")
    # The project's dependencies as its pyproject.toml pins them, and pytest for the module's tests.
    _run(python, "-m", "pip", "install", "--quiet", str(project / "packages" / "django-modkit"), cwd=base)
    _run(python, "-m", "pip", "install", "--quiet", str(project), "pytest", "pytest-django", cwd=base)
    wheels = base / "wheels"
    _run(
        python,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "-w",
        str(wheels),
        str(ROOT / "examples" / "favourites"),
        cwd=base,
    )
    (wheel,) = wheels.glob("marketplace_favourites-*.whl")
    _run(python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel), cwd=base)

    env = _env(project, PYTHONPATH=str(project))
    for command in (("migrate", "--noinput"), ("load_demo_data",), ("shell", "-c", ENROL)):
        _run(python, "manage.py", *command, cwd=project, env=env)
    server = Gunicorn(workers=1, cwd=project, env=env, python=python).start()
    try:
        yield {
            "project": project,
            "python": python,
            "env": env,
            "venv": venv,
            "server": server,
            "diff": list(difflib.unified_diff(before.splitlines(), settings.read_text().splitlines(), n=0)),
        }
    finally:
        server.stop()


def _changed(diff: list[str]) -> list[str]:
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_enabling_it_is_one_line_of_settings(site):
    assert _changed(site["diff"]) == ['+        "favourites",']


def test_it_comes_from_its_wheel_and_its_table_is_migrated(site):
    where = _run(site["python"], "-c", "import favourites; print(favourites.__file__)", cwd=site["venv"])
    assert "site-packages" in where
    shown = _run(site["python"], "manage.py", "showmigrations", "favourites", cwd=site["project"], env=site["env"])
    assert "[X] 0001_initial" in shown


def _buyer(site) -> HttpClient:
    client = HttpClient(site["server"].url)
    client.login("alice", "demo-password-123")
    return client


def test_a_buyer_keeps_favourites_from_the_product_page(site):
    buyer = _buyer(site)
    catalog = buyer.get("/products/").text
    product_path = re.search(r'href="(/products/\d+/[^"]*)"', catalog).group(1)
    product_id = re.search(r"/products/(\d+)/", product_path).group(1)
    page = buyer.get(product_path).text
    assert 'href="/favourites/"' in page  # its link in the menu
    assert "Add to favourites" in page  # its part of the product page
    added = buyer.post_form("/favourites/toggle/", {"product_id": product_id, "action": "add", "next": product_path})
    assert added.status == 302, added.text[:500]
    assert "Remove from favourites" in buyer.get(product_path).text
    listed = buyer.get("/favourites/")
    assert listed.status == 200 and f'href="{product_path}"' in listed.text


def test_bad_input_gets_a_message_not_an_error(site):
    buyer = _buyer(site)
    answer = buyer.post_form("/favourites/toggle/", {"product_id": "nonsense", "action": "add"})
    assert answer.status == 302
    assert HttpClient(site["server"].url).get("/favourites/").status == 302  # anonymous: to the sign-in page


def test_an_operator_sees_it_in_the_module_graph_and_reloads_it(site):
    staff = HttpClient(site["server"].url)
    sign_in_operator(staff)
    ops = staff.get("/ops/").text
    assert 'data-module="favourites" data-state="ready"' in ops
    assert 'data-from="favourites" data-to="products"' in ops
    answer = staff.post_form("/ops/reload/module/favourites/", {"confirm": "yes"})
    assert answer.status == 302, answer.text[:500]
    detail = staff.get(answer.headers["location"]).text
    assert re.search(r'id="reload-detail" data-status="(\w+)"', detail).group(1) == "ok", detail[:3000]
    assert _buyer(site).get("/favourites/").status == 200


def test_its_own_tests_pass_where_it_is_installed(site):
    out = _run(
        site["python"],
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "examples/favourites/tests",
        cwd=site["project"],
        env={**site["env"], "DATABASE_URL": ""},
    )
    assert re.search(r"\d+ passed", out) and "failed" not in out, out


def test_switched_off_its_pages_and_links_go_and_its_table_stays(site):
    modules = "accounts,wallets,vendors,products,orders,notifications"
    probe = (
        "from django.contrib.auth import get_user_model; from django.db import connection; "
        "from django.test import Client; c = Client(SERVER_NAME='localhost'); "
        "c.force_login(get_user_model().objects.get(username='alice')); "
        "print(c.get('/favourites/').status_code, '/favourites/' in c.get('/products/').content.decode(), "
        "'favourites_favourite' in connection.introspection.table_names())"
    )
    out = _run(
        site["python"],
        "manage.py",
        "shell",
        "-c",
        probe,
        cwd=site["project"],
        env={**site["env"], "MARKETPLACE_MODULES": modules},
    )
    assert out.split()[-3:] == ["404", "False", "True"]
