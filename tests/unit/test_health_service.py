"""HealthService with fakes: severity order, critical versus optional, the short result cache."""

import itertools

import pytest
from modkit import BaseModule, ModuleState, module
from modkit.registry import ModuleRegistry

from services.health_service import HealthService


class FakeDatabase:
    def __init__(self):
        self.up = True
        self.pending: list[str] = []
        self.pings = 0

    def ping(self):
        self.pings += 1
        if not self.up:
            raise ConnectionError("connection refused")
        return {"vendor": "fake"}

    def unapplied_migrations(self):
        return list(self.pending)


class FakeCache:
    def __init__(self):
        self.up = True
        self.store = {}

    def set(self, key, value, timeout=None):
        if self.up:
            self.store[key] = value

    def get(self, key, default=None):
        return self.store.get(key, default) if self.up else default


@module(name="core_shop", version="1.0.0")
class CoreShop(BaseModule):
    pass


@module(name="extras", version="1.0.0", dependencies=["core_shop"])
class Extras(BaseModule):
    critical = False


@pytest.fixture
def parts():
    registry = ModuleRegistry([CoreShop(), Extras()])
    registry.initialize_all()
    database, cache = FakeDatabase(), FakeCache()
    health = HealthService(modules=registry, database=database, cache=cache, cache_seconds=0)
    return health, registry, database, cache


def statuses(report):
    return {name: c["status"] for name, c in report["components"].items()}


def test_all_up(parts):
    health, *_ = parts
    report = health.system()
    assert report["status"] == "UP"
    assert statuses(report) == {
        "database": "UP",
        "migrations": "UP",
        "module.core_shop": "UP",
        "module.extras": "UP",
        "cache": "UP",
    }


def test_a_cache_outage_degrades_but_keeps_the_system_ready(parts):
    health, _, _, cache = parts
    cache.up = False
    assert health.system()["status"] == "DEGRADED"
    assert health.system()["components"]["cache"]["critical"] is False
    assert health.readiness()["status"] == "UP"


def test_a_database_outage_is_down_and_skips_the_migration_check(parts):
    health, _, database, _ = parts
    database.up = False
    report = health.readiness()
    assert report["status"] == "DOWN"
    assert "connection refused" in report["components"]["database"]["detail"]["error"]
    assert "migrations" not in report["components"]


def test_unapplied_migrations_make_readiness_down(parts):
    health, _, database, _ = parts
    database.pending = ["ops.0002_more"]
    report = health.readiness()
    assert report["status"] == "DOWN"
    assert "ops.0002_more" in report["components"]["migrations"]["detail"]["error"]


def test_an_optional_module_failing_degrades_a_required_one_is_down(parts):
    health, registry, _, _ = parts
    registry.mark_failed("extras", "boom")
    assert health.readiness()["status"] == "DEGRADED"
    registry.mark_failed("core_shop", "boom")
    assert health.readiness()["status"] == "DOWN"
    assert registry.state("core_shop") is ModuleState.FAILED


def test_an_extra_check_counts_by_its_criticality(parts):
    health, *_ = parts
    health.add_check("chain", lambda: 1 / 0, critical=False)
    assert health.system()["status"] == "DEGRADED"
    health.add_check("ledger", lambda: 1 / 0, critical=True)
    assert health.system()["status"] == "DOWN"


def test_results_are_kept_for_the_cache_window(monkeypatch):
    registry = ModuleRegistry([CoreShop()])
    registry.initialize_all()
    database = FakeDatabase()
    clock = itertools.count(start=100.0, step=0.5)
    monkeypatch.setattr("services.health_service.time.monotonic", lambda: next(clock))
    health = HealthService(modules=registry, database=database, cache=FakeCache(), cache_seconds=1.5)
    first = health.readiness()
    assert health.readiness() is first and health.readiness() is first  # within 1.5 s
    assert database.pings == 1
    later = health.readiness()
    assert later is not first and database.pings == 2


def test_liveness_needs_nothing(parts):
    health, _, database, cache = parts
    database.up = cache.up = False
    assert health.liveness()["status"] == "UP"
    assert database.pings == 0
