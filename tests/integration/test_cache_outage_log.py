"""A cache outage is one warning a minute per logger, with a count and the last error, never a
traceback per request (an outside tester's 10 s outage once wrote 9,437 of them)."""

import logging
import sys

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from marketplace.logging import LogBudget
from tests.support.servers import redis_caches

pytestmark = pytest.mark.django_db

CACHE_LOGGERS = ("marketplace.cache", "containers.near_cache", "services.page_cache")


@pytest.fixture
def outage_budget():
    (budget,) = {f for name in CACHE_LOGGERS for f in logging.getLogger(name).filters if isinstance(f, LogBudget)}
    budget.clear()
    yield budget
    budget.clear()


@pytest.fixture
def project_redis_cache(private_redis):
    """The project's own Redis cache (settings/base.py) on a Redis this test may stop."""
    caches = redis_caches(private_redis.url, prefix="outage", ignore_exceptions=True)
    caches["default"]["BACKEND"] = "marketplace.cache.InstrumentedRedisCache"
    with override_settings(CACHES=caches):
        yield private_redis


def visit_everything(pages, clients, rounds: int) -> int:
    served = 0
    for _ in range(rounds):
        for client in clients:
            for url in pages:
                assert client.get(url).status_code == 200
                served += 1
    return served


def test_many_requests_during_an_outage_log_one_line_per_logger_without_traceback(
    project_redis_cache, outage_budget, make_vendor, make_product, make_user, caplog, monkeypatch
):
    bob = make_vendor("bob")
    product = make_product(bob)
    pages = [
        reverse("products:list"),
        reverse("products:detail", args=[product]),
        reverse("vendors:storefront", args=[bob.shop_slug]),
    ]
    anonymous, alice = Client(), Client()
    alice.force_login(make_user("alice"))
    visit_everything(pages, [anonymous, alice], rounds=1)  # warm: the pages are cached

    caplog.clear()
    project_redis_cache.stop()
    served = visit_everything(pages, [anonymous, alice], rounds=20)
    assert served == 120

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    from_cache = [r for r in warnings if r.name in CACHE_LOGGERS]
    assert from_cache, "the outage was not reported at all"
    assert len({r.name for r in from_cache}) == len(from_cache)  # one line per logger
    assert all(r.levelname == "WARNING" and r.exc_info is None and r.exc_text is None for r in from_cache)
    assert not [r for r in warnings if r.exc_info], "a traceback was logged during the outage"
    assert len(warnings) <= len(CACHE_LOGGERS)
    django_redis = [r for r in from_cache if r.name == "marketplace.cache"]
    assert django_redis and "ConnectionError" in django_redis[0].getMessage()

    # A minute on, the next failure says how many were held back, and the last error.
    later = outage_budget.clock() + 61
    monkeypatch.setattr(outage_budget, "clock", lambda: later)
    caplog.clear()
    assert anonymous.get(pages[0]).status_code == 200
    (summary,) = [r for r in caplog.records if r.name == "marketplace.cache"]
    held = int(summary.getMessage().split(" more held back since ")[0].rsplit("(", 1)[1])
    assert held >= served  # every cache call each request made failed, and was counted
    assert "the last: Exception ignored: ConnectionError" in summary.getMessage()
    assert summary.exc_info is None

    project_redis_cache.start()


def test_the_budget_passes_the_first_line_then_one_summary_per_interval():
    now = [1000.0]
    budget = LogBudget(per_interval=1, interval_seconds=60, clock=lambda: now[0])
    logger = logging.getLogger("tests.budget")

    def failing_call(n: int):
        try:
            raise ConnectionError(f"refused {n}")
        except ConnectionError:
            return logger.makeRecord(
                logger.name, logging.ERROR, __file__, 1, "Exception ignored", (), exc_info=sys.exc_info()
            )

    passed = [budget.filter(r) for r in (failing_call(n) for n in range(500))]
    assert passed.count(True) == 1
    now[0] += 59.9
    assert not budget.filter(failing_call(500))
    now[0] += 0.2
    summary = failing_call(501)
    assert budget.filter(summary)
    message = summary.getMessage()
    assert message.startswith("Exception ignored: ConnectionError: refused 501 (500 more held back since ")
    assert message.endswith("the last: Exception ignored: ConnectionError: refused 500)")
    assert summary.levelname == "WARNING" and summary.exc_info is None


def test_a_budget_of_many_lets_that_many_through_unchanged_but_the_traceback():
    budget = LogBudget(per_interval=3, interval_seconds=60, clock=lambda: 0.0)
    logger = logging.getLogger("tests.reports")
    records = [logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "report %d", (n,), None) for n in range(5)]
    assert [budget.filter(r) for r in records] == [True, True, True, False, False]
    assert [r.getMessage() for r in records[:3]] == ["report 0", "report 1", "report 2"]
