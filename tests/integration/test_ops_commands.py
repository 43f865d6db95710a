"""``reload_module`` / ``reload_service``: thin commands, journaled, exit 1 on failure."""

import copy
import re

import pytest
from django.core.management import CommandError, call_command

from marketplace.ops.models import ReloadRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def single_process(settings):
    """These run as on a machine without Redis (whatever REDIS_URL this test run has)."""
    from containers import ClusterOptions, cluster

    cluster.configure(ClusterOptions(redis_url=None, namespace="x", wait_seconds=1, heartbeat_seconds=1, listen=False))
    yield cluster
    cluster.configure(None)


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


@pytest.mark.django_db(transaction=True)
def test_with_redis_the_command_asks_the_workers_and_reports_each(single_process, redis_server, runtime, capsys):
    """The command serves nobody: it applies nothing itself and prints every worker's answer."""
    import uuid

    from containers import Cluster, ClusterOptions, container
    from tests.support.servers import wait_for

    opts = ClusterOptions(
        redis_url=redis_server.url,
        namespace=f"cmd:{uuid.uuid4().hex[:6]}",
        wait_seconds=5,
        heartbeat_seconds=0.2,
        listen=True,
    )
    worker = Cluster(
        runtime, journal=lambda: container.ops.reload_journal(), options=lambda: opts, identity=lambda: "web-1:100"
    )
    worker.start_listener()
    try:
        wait_for(lambda: "web-1:100" in worker.live_workers(), timeout=10, what="worker presence")
        single_process.configure(opts)
        before = runtime.generation("accounts").number
        call_command("reload_module", "accounts")
        out = capsys.readouterr().out
        assert "web-1:100: ok, 1.0.0 -> 1.0.0" in out and "1/1 worker(s) applied it" in out
        # Built once, by the worker: what this process serves is the generation the worker reported
        # (numbers are counted across modules, so only "later than before" can be said of them).
        (reported,) = re.findall(r"web-1:100: ok, .*generation (\d+)", out)
        assert runtime.generation("accounts").number == int(reported) > before
    finally:
        worker.stop_listener()
    single_process.configure(opts)
    with pytest.raises(CommandError, match="no worker answered"):
        call_command("reload_module", "accounts", "--wait", "0.2")
