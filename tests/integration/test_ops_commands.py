"""``reload_module`` / ``reload_service``: thin commands, journaled, exit 1 on failure."""

import copy

import pytest
from django.core.management import CommandError, call_command

from marketplace.ops.models import ReloadRequest

pytestmark = pytest.mark.django_db


def test_reload_module_command(capsys, runtime):
    before = runtime.generation("accounts").number
    call_command("reload_module", "accounts")
    out = capsys.readouterr().out
    assert "reload module accounts: ok" in out
    assert runtime.generation("accounts").number > before
    request = ReloadRequest.objects.get()
    import getpass

    assert request.via == "command" and request.requested_by == getpass.getuser()
    assert request.results.get().ok


def test_reload_service_command_json(capsys):
    call_command("reload_service", "user_service", "--json")
    import json

    outcome = json.loads(capsys.readouterr().out)
    assert outcome["ok"] is True and outcome["kind"] == "service" and len(outcome["results"]) == 1


def test_an_unknown_name_is_a_command_error():
    with pytest.raises(CommandError, match="no module named 'nonesuch'"):
        call_command("reload_module", "nonesuch")
    with pytest.raises(CommandError, match="no service named"):
        call_command("reload_service", "nonesuch")
    assert not ReloadRequest.objects.exists()


def test_a_refused_reload_is_a_command_error(settings, runtime, capsys):
    original = copy.deepcopy(settings.MARKETPLACE)
    broken = copy.deepcopy(original)
    broken["services"] = {"user_service": "tests.fixtures.custom_services.NotAUserService"}
    settings.MARKETPLACE = broken
    try:
        with pytest.raises(CommandError, match="was not reloaded everywhere"):
            call_command("reload_service", "user_service")
        assert "rolled back" in capsys.readouterr().out
    finally:
        settings.MARKETPLACE = original
        assert runtime.reload_service("user_service").ok
