"""``migrate_to_modules`` on this project: its one app already is a module, so nothing to do and
exit 0; and, in a copy of it, a new plain app made into a module next to the built-in ones."""

import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.support.projects import ROOT, copy_project

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("migrate_to_modules", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


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


def test_a_run_here_plans_and_writes_nothing(tmp_path):
    report = run("--target", str(tmp_path))
    assert report["plan"]["apps"] == [] and report["result"]["created"] == []
    assert list(tmp_path.iterdir()) == []


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


@pytest.mark.slow
def test_a_new_plain_app_in_this_project_becomes_a_module(tmp_path):
    """In a copy of this project: a plain app is added, migrated to a module, tested, started."""
    project = copy_project(tmp_path / "project")
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
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
            timeout=300,
        )

    for step in (("makemigrations", "reviews", "-v0"), ("migrate", "-v0")):
        done = manage(*step)
        assert done.returncode == 0, done.stderr
    run = manage("migrate_to_modules")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ReviewsModule in modules/reviews.py (dependencies: accounts>=1.0)" in run.stdout
    assert re.search(r'MARKETPLACE\["modules"\] = \["accounts", .*"reviews"\]', run.stdout), run.stdout
    assert (project / "modules" / "reviews.py").is_file()
    assert (project / "services" / "reviews_service.py").is_file()
    assert (project / "tests" / "integration" / "test_reviews_service.py").is_file()
    service = (project / "services" / "reviews_service.py").read_text()
    assert "def list_reviews(self, *, min: int) -> QuerySet[Review]:" not in service  # builtins are renamed
    assert "def list_reviews(self, *, min_: int) -> QuerySet[Review]:" in service

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
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-4000:]
    started = manage(
        "shell",
        "-c",
        "from containers import runtime; runtime.ensure_started(); print(runtime.modules.states())",
        MARKETPLACE_MODULES="accounts,reviews",
    )
    assert "{'accounts': 'ready', 'reviews': 'ready'}" in started.stdout, started.stderr
    again = manage("migrate_to_modules", "--validate-only")
    assert again.returncode == 0 and "module exists: modules.reviews.ReviewsModule" in again.stdout
