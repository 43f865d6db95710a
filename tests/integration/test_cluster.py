"""The cluster fan-out in this process: with no Redis, with Redis down, and the listener's duties.

Several gunicorn workers are exercised in ``test_cluster_gunicorn.py``; here a second ``Cluster``
bound to the live runtime stands for one worker, against a private redis-server.
"""

import json
import time
import uuid

import pytest
import redis

from containers import Cluster, ClusterOptions, container
from containers.cluster import worker_id
from marketplace.ops.models import ReloadRequest, WorkerReloadResult
from tests.support.servers import free_port, wait_for


def options(url, **changes) -> ClusterOptions:
    values = dict(
        redis_url=url, namespace=f"test:{uuid.uuid4().hex[:8]}", wait_seconds=2.0, heartbeat_seconds=0.2, listen=True
    )
    values.update(changes)
    return ClusterOptions(**values)


def make_cluster(runtime, opts) -> Cluster:
    return Cluster(runtime, journal=lambda: container.ops.reload_journal(), options=lambda: opts)


@pytest.fixture
def worker(runtime, redis_server):
    """A listening cluster on the shared private Redis, stopped at the end."""
    cluster = make_cluster(runtime, options(redis_server.url))
    assert cluster.start_listener()
    wait_for(cluster._listener.connected.is_set, timeout=10, what="listener")
    yield cluster
    cluster.stop_listener()


def announce(client, opts, **fields) -> dict:
    message = {
        "id": str(uuid.uuid4()),
        "kind": "module",
        "target": "accounts",
        "origin": "elsewhere:1",
        "requested_by": "test",
        "request_id": "-",
        "at": time.time(),
        **fields,
    }
    client.rpush(opts.log_key, json.dumps(message))
    client.publish(opts.channel, json.dumps(message))
    return message


def answer(client, opts, message, timeout=5.0) -> dict | None:
    item = client.blpop([opts.results_key(message["id"])], timeout=timeout)
    return json.loads(item[1]) if item else None


def test_options_namespace_follows_the_redis_database():
    assert ClusterOptions.from_settings(_Settings("redis://h:6379/4")).namespace == "marketplace:4"
    assert ClusterOptions.from_settings(_Settings("redis://h:6379")).namespace == "marketplace:0"
    opts = ClusterOptions.from_settings(_Settings(None))
    assert opts.redis_url is None and opts.wait_seconds == 5 and opts.listen is True


class _Settings:
    def __init__(self, url):
        self.REDIS_URL = url
        self.MARKETPLACE = {"ops": {"reload_wait_seconds": 5}}


@pytest.mark.django_db
def test_without_redis_the_reload_applies_here_and_is_journaled(runtime):
    cluster = make_cluster(runtime, options(None))
    before = runtime.generation("accounts").number
    outcome = cluster.reload("module", "accounts", requested_by="tester", via="api")
    assert outcome.ok and not outcome.broadcast and outcome.local.ok
    assert list(outcome.results) == [worker_id()]
    assert runtime.generation("accounts").number > before
    assert cluster.start_listener() is False  # nothing to listen to
    row = ReloadRequest.objects.get(pk=outcome.reload_id)
    assert (row.requested_by, row.broadcast, row.expected_workers) == ("tester", False, 1)
    assert WorkerReloadResult.objects.get(request=row).ok


@pytest.mark.django_db
def test_with_redis_unreachable_the_reload_still_applies_here_and_says_so(runtime):
    cluster = make_cluster(runtime, options(f"redis://127.0.0.1:{free_port()}/0"))
    outcome = cluster.reload("service", "user_service")
    assert outcome.local.ok and not outcome.broadcast
    assert outcome.broadcast_error.startswith("not broadcast: ConnectionError")
    assert not outcome.ok and outcome.error.startswith("not broadcast")
    assert ReloadRequest.objects.get(pk=outcome.reload_id).broadcast_error.startswith("not broadcast")


def test_unknown_targets_are_refused_before_anything_happens(runtime):
    cluster = make_cluster(runtime, options(None))
    with pytest.raises(KeyError, match="no module named 'ghost'"):
        cluster.reload("module", "ghost")
    with pytest.raises(ValueError):
        cluster.reload("gadget", "accounts")


@pytest.mark.django_db(transaction=True)
def test_the_listener_applies_what_others_announce_and_answers(worker, redis_server, runtime):
    opts = worker.options()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    before = runtime.generation("accounts").number
    message = announce(client, opts)
    report = answer(client, opts, message)
    assert report is not None, "no answer from the listener"
    assert report["ok"] and report["worker"] == worker_id() and report["reload_id"] == message["id"]
    assert runtime.generation("accounts").number > before
    assert report["modules"]["accounts"]["reload"]["id"] == message["id"]
    # The same announcement again (a replay) is not applied twice.
    client.publish(opts.channel, json.dumps(message))
    assert answer(client, opts, message, timeout=0.5) is None


@pytest.mark.django_db(transaction=True)
def test_the_listener_ignores_its_own_announcements(worker, redis_server):
    opts = worker.options()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    message = announce(client, opts, origin=worker_id())
    assert answer(client, opts, message, timeout=0.5) is None


@pytest.mark.django_db(transaction=True)
def test_a_worker_reports_its_presence_and_versions(worker):
    wait_for(lambda: worker_id() in worker.live_workers(), timeout=5, what="presence")
    entry = worker.live_workers()[worker_id()]
    assert entry["pid"] and entry["modules"]["accounts"]["version"] == "1.0.0"
    assert entry["modules"]["accounts"]["state"] == "ready"


@pytest.mark.django_db(transaction=True)
def test_a_reload_waits_for_the_other_workers(worker, runtime, redis_server):
    """A requester in another 'process' (a second Cluster) gets this worker's answer."""
    wait_for(lambda: worker_id() in worker.live_workers(), timeout=5, what="presence")
    requester = Cluster(
        runtime, journal=lambda: container.ops.reload_journal(), options=worker.options, identity=lambda: "requester:1"
    )
    outcome = requester.reload("module", "accounts", apply_here=False, wait=5)
    assert outcome.broadcast and outcome.expected == [worker_id()]
    assert outcome.ok, outcome.error
    assert list(outcome.results) == [worker_id()] and outcome.missing == []
    # The journal rows written by both "processes" at once are checked under gunicorn, on a
    # file database: the test suite's shared in-memory SQLite refuses concurrent writers.
    assert ReloadRequest.objects.filter(pk=outcome.reload_id, target="accounts").exists()


@pytest.mark.django_db(transaction=True)
def test_a_silent_worker_is_reported_missing(runtime, redis_server):
    opts = options(redis_server.url, wait_seconds=0.3)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    ghost = {"worker": "ghost:1", "last_seen": time.time(), "modules": {}}
    client.hset(opts.workers_key, "ghost:1", json.dumps(ghost))
    outcome = make_cluster(runtime, opts).reload("service", "user_service")
    assert outcome.missing == ["ghost:1"] and not outcome.ok
    assert outcome.local.ok and outcome.error == "no answer from ghost:1"
    assert ReloadRequest.objects.get(pk=outcome.reload_id).missing_workers == ["ghost:1"]


@pytest.mark.django_db(transaction=True)
def test_catch_up_applies_only_what_was_announced_after_boot(runtime, redis_server):
    opts = options(redis_server.url)
    cluster = make_cluster(runtime, opts)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    old = {"id": "old", "kind": "module", "target": "accounts", "origin": "x:1", "at": runtime.started_at - 60}
    new = {"id": "new", "kind": "service", "target": "user_service", "origin": "x:1", "at": time.time()}
    client.rpush(opts.log_key, json.dumps(old), json.dumps(new), "not json")
    assert cluster.catch_up(client) == 1
    assert answer(client, opts, new, timeout=1)["ok"]
    assert client.llen(opts.results_key("old")) == 0
    assert cluster.catch_up(client) == 0


@pytest.mark.django_db(transaction=True)
def test_the_listener_survives_a_redis_outage_and_reconnects(runtime, private_redis):
    cluster = make_cluster(runtime, options(private_redis.url))
    cluster.start_listener()
    try:
        listener = cluster._listener
        wait_for(listener.connected.is_set, timeout=10, what="listener")
        private_redis.stop()
        wait_for(lambda: not listener.connected.is_set(), timeout=10, what="outage noticed")
        time.sleep(0.5)
        assert listener.is_alive() and cluster.listening
        private_redis.start()
        wait_for(listener.connected.is_set, timeout=15, what="reconnection")
        client = redis.Redis.from_url(private_redis.url, decode_responses=True)
        message = announce(client, cluster.options())
        assert answer(client, cluster.options(), message)["ok"]
    finally:
        cluster.stop_listener()
    assert not cluster.listening


def test_the_listener_never_starts_when_not_asked(runtime, redis_server):
    assert make_cluster(runtime, options(redis_server.url, listen=False)).start_listener() is False
