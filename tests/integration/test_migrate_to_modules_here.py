"""``migrate_to_modules`` on this project: its one app already is a module, so nothing to do and
exit 0; and, in a copy of it, a new plain app made into a module next to the built-in ones."""

import ast
import io
import json
import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.support.corpus import changes, enabled_entries, settings_line, steps
from tests.support.projects import ROOT, copy_project

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("migrate_to_modules", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def nothing_to_migrate():
    """A real run here writes into the working tree when there is something to do (a new app
    not excluded in MODKIT_MIGRATION): look first, with --dry-run, and stop before that."""
    planned = run("--dry-run")["plan"]["apps"]
    if planned:
        pytest.fail(f"this project has plain apps to migrate: {planned} (exclude or migrate them first)")


def test_validate_only_reports_the_accounts_module_and_passes():
    report = run("--validate-only")
    assert report["ok"] is True and report["blockers"] == []
    # The marketplace app, ops and this tool are the modular system itself; every other app is a module.
    apps = {app["label"]: app for app in report["apps"]}
    assert all(app["module"] for app in apps.values()), apps
    accounts = apps["accounts"]
    assert accounts["label"] == "accounts" and accounts["name"] == "marketplace.accounts"
    assert accounts["module"]["class"] == "modules.accounts.AccountsModule"
    assert accounts["module"]["enabled"] is True
    assert accounts["module"]["services"] == ["send_limiter", "account_mail", "user_service", "two_factor_service"]
    on_disk = sorted(f.stem for f in (ROOT / "marketplace" / "accounts" / "migrations").glob("0*.py"))
    assert accounts["migrations"]["applied"] == on_disk
    assert accounts["migrations"]["unapplied"] == [] and accounts["migrations"]["missing"] == []
    assert accounts["orm_uses"] == []  # its views go through UserService
    assert accounts["imports"]["ok"] is True


def test_the_human_report_says_so():
    out = io.StringIO()
    call_command("migrate_to_modules", "--validate-only", stdout=out)
    text = out.getvalue()
    assert re.search(r"\[1/\d+\] accounts:", text), text
    assert "module exists: modules.accounts.AccountsModule 1.0.0 (enabled)" in text
    assert "Nothing blocks the migration." in text


def test_a_run_here_has_nothing_to_do_and_writes_nothing(nothing_to_migrate):
    report = run()
    assert report["ok"] is True and report["mode"] == "migrate"
    assert report["plan"]["apps"] == [] and report["plan"]["blockers"] == []
    assert report["plan"]["settings"]["lines"] == []  # nothing to enable
    assert "accounts" in report["plan"]["already_modules"]
    assert sorted(report["plan"]["already_modules"]) == sorted(app["label"] for app in report["apps"])
    assert "result" not in report  # nothing staged, nothing written


def test_the_human_report_of_a_run_here_says_there_is_nothing_to_do(nothing_to_migrate):
    out = io.StringIO()
    call_command("migrate_to_modules", stdout=out)
    text = out.getvalue()
    assert re.search(r"^Already modules, nothing to do: .*\baccounts\b", text, re.M), text
    assert "Nothing to do: every selected app is a module already." in text
    assert "Verified in a staged copy" not in text and "Created:" not in text


def test_unknown_apps_are_an_error():
    with pytest.raises(CommandError, match="no installed app is labelled 'wallet'"):
        call_command("migrate_to_modules", "--validate-only", "--apps", "wallet", stdout=io.StringIO())


REVIEWS = {
    "__init__.py": "",
    "apps.py": (
        "from django.apps import AppConfig\n\n\n"
        "class ReviewsConfig(AppConfig):\n"
        '    name = "marketplace.reviews"\n    label = "reviews"\n    verbose_name = "Reviews"\n'
    ),
    "models.py": (
        "from django.conf import settings\nfrom django.db import models\n\n\n"
        "class Review(models.Model):\n"
        "    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
        "    product = models.CharField(max_length=80)\n"
        "    rating = models.PositiveSmallIntegerField()\n"
    ),
    "views.py": (
        "from django.http import JsonResponse\n\nfrom .models import Review\n\n\n"
        "def latest(request):\n"
        '    reviews = Review.objects.filter(rating__gte=int(request.GET.get("min", "1")))\n'
        '    return JsonResponse({"products": [r.product for r in reviews]})\n\n\n'
        "def rate(request):\n"
        '    review = Review.objects.create(author=request.user, product=request.POST["product"],\n'
        '                                   rating=int(request.POST["rating"]))\n'
        '    return JsonResponse({"id": review.pk})\n'
    ),
    "urls.py": (
        "from django.urls import path\n\nfrom . import views\n\n"
        'app_name = "reviews"\nurlpatterns = [path("", views.latest, name="latest"), '
        'path("rate/", views.rate, name="rate")]\n'
    ),
    "migrations/__init__.py": "",
}


def _tree(project) -> dict[str, bytes]:
    """The project's code and tests (not var/), to prove what a command changed."""
    return {
        p.relative_to(project).as_posix(): p.read_bytes()
        for top in ("containers", "modules", "services", "marketplace", "tests", "packages", "examples")
        for p in sorted((project / top).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".sqlite3")
    }


@pytest.mark.slow
@pytest.mark.isolated
def test_a_new_plain_app_in_this_project_becomes_a_module(tmp_path):
    """In a copy of this project: a plain app is added, migrated to a module, tested, started."""
    project = copy_project(tmp_path / "project")
    app = project / "marketplace" / "reviews"
    for name, text in REVIEWS.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)
    settings = project / "marketplace" / "settings" / "base.py"
    settings.write_text(
        settings.read_text().replace(
            '"marketplace.accounts",\n', '"marketplace.accounts",\n    "marketplace.reviews",\n', 1
        )
    )
    # Served by the project's own URLconf, as a plain app is before it becomes a module.
    urls = project / "marketplace" / "urls.py"
    mounted = '    path("reviews/", include("marketplace.reviews.urls")),\n    *module_patterns(runtime),\n'
    urls.write_text(urls.read_text().replace("    *module_patterns(runtime),\n", mounted, 1))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "MARKETPLACE_MODULES"}}
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.test",
        PYTHONPATH=str(project),
        MARKETPLACE_VAR_DIR=str(project / "var"),
        PYTHONDONTWRITEBYTECODE="1",
    )

    def manage(*args, **extra):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=project,
            capture_output=True,
            text=True,
            env={**env, **extra},
            timeout=600,
        )

    for step in (("makemigrations", "reviews", "-v0"), ("migrate", "-v0")):
        done = manage(*step)
        assert done.returncode == 0, done.stderr
    # The reported clash: a module named like one of the project's services would shadow it.
    clash = manage("migrate_to_modules", "--dry-run", "--name", "reviews=catalog")
    assert clash.returncode == 1, clash.stdout[-4000:]
    expected = "services/catalog_service.py exists and was not written by migrate_to_modules: pass --name reviews="
    assert expected in clash.stdout, clash.stdout[-4000:]
    before = _tree(project)
    run = manage("migrate_to_modules")
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-4000:]
    # The project's layout (MODKIT_MIGRATION): its modules/, services/ and tests/integration/.
    assert "ReviewsModule in modules/reviews.py (dependencies: accounts>=1.0)" in run.stdout
    assert "ReviewsService in services/reviews_service.py" in run.stdout
    assert re.search(r"^Already modules, nothing to do: accounts, ", run.stdout, re.M), run.stdout
    line = settings_line(run.stdout, "MARKETPLACE_MODULES")
    assert line is not None, run.stdout
    assert enabled_entries(line)[-1] == "reviews"  # enabled by name, as the project's own modules
    created, changed, removed = changes(before, _tree(project))
    assert created == ["modules/reviews.py", "services/reviews_service.py", "tests/integration/test_reviews_service.py"]
    assert changed == [] and removed == []
    found = steps(run.stdout)
    assert found and all(found.values()), run.stdout
    assert any(name.startswith("every page answers as before") for name in found)
    service = (project / "services" / "reviews_service.py").read_text()
    parameters = {
        arg.arg
        for node in ast.walk(ast.parse(service))
        if isinstance(node, ast.FunctionDef)
        for arg in [*node.args.args, *node.args.kwonlyargs]
    }
    assert "class ReviewsService" in service
    assert "min" not in parameters  # the view's "min" would shadow a builtin: renamed

    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/integration/test_reviews_service.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-4000:]

    # The printed line, added to the settings, enables the module next to the built-in ones.
    test_settings = project / "marketplace" / "settings" / "test.py"
    test_settings.write_text(test_settings.read_text() + "\n" + line + "\n")
    started = manage(
        "shell", "-c", "from containers import runtime; runtime.ensure_started(); print(runtime.modules.states())"
    )
    assert started.returncode == 0, started.stderr
    states = ast.literal_eval(started.stdout.strip().splitlines()[-1])
    assert states["reviews"] == "ready" and states["accounts"] == "ready", states
    again = manage("migrate_to_modules", "--validate-only")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "module exists: modules.reviews.ReviewsModule 1.0.0 (enabled)" in again.stdout
    enabled = _tree(project)
    second = manage("migrate_to_modules")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing to do" in second.stdout.lower() and "Verified in a staged copy" not in second.stdout
    assert _tree(project) == enabled
