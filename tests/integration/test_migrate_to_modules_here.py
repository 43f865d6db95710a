"""``migrate_to_modules`` on this project: its one app already is a module; nothing to do, exit 0."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("migrate_to_modules", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_validate_only_reports_the_accounts_module_and_passes():
    report = run("--validate-only")
    assert report["ok"] is True and report["blockers"] == []
    (accounts,) = report["apps"]  # the marketplace app and this tool are the modular system itself
    assert accounts["label"] == "accounts" and accounts["name"] == "marketplace.accounts"
    assert accounts["module"]["class"] == "modules.accounts.AccountsModule"
    assert accounts["module"]["enabled"] is True
    assert accounts["module"]["services"] == ["login_throttle", "user_service"]
    assert accounts["migrations"]["applied"] == ["0001_initial"]
    assert accounts["migrations"]["unapplied"] == [] and accounts["migrations"]["missing"] == []
    assert accounts["orm_uses"] == []  # its views go through UserService
    assert accounts["imports"]["ok"] is True


def test_the_human_report_says_so():
    out = io.StringIO()
    call_command("migrate_to_modules", "--validate-only", stdout=out)
    text = out.getvalue()
    assert "[1/1] accounts:" in text
    assert "module exists: modules.accounts.AccountsModule 1.0.0 (enabled)" in text
    assert "Nothing blocks the migration." in text


def test_a_run_here_plans_and_writes_nothing(tmp_path):
    report = run("--target", str(tmp_path))
    assert report["plan"]["apps"] == [] and report["result"]["created"] == []
    assert list(tmp_path.iterdir()) == []


def test_unknown_apps_are_an_error():
    with pytest.raises(CommandError, match="no installed app is labelled 'wallet'"):
        call_command(
            "migrate_to_modules", "--validate-only", "--apps", "wallet", stdout=io.StringIO()
        )
