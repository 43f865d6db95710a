"""``/metrics`` stays small after a realistic walk: every label takes its values from a closed set.

The walk follows every link of the demo as a visitor, a buyer, a vendor and an operator, asks for
random paths (pages and API), and calls every GET operation of the API with a token of every scope.
Random paths must add no series, and the whole text must stay under 100 KB.
"""

import random
import re
import string

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from services.api_service import SCOPES

pytestmark = pytest.mark.django_db

LIMIT_BYTES = 100_000
HREF = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/accounts/logout", "/admin", "/metrics", "/static/", "/media/", "/i18n/")


def crawl(client, limit: int = 120) -> int:
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or url.startswith(SKIP):
            continue
        seen.add(url)
        response = client.get(url)
        if response.get("Content-Type", "").startswith("text/html"):
            queue.extend(link.replace("&amp;", "&") for link in HREF.findall(response.content.decode()))
    return len(seen)


def noise(count: int) -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=count))


def random_paths(client, api, rounds: int) -> None:
    for _ in range(rounds):
        client.get(f"/{noise(10)}/{noise(6)}")
        client.get(f"/products/{noise(8)}/")
        client.post(f"/{noise(12)}/", {"x": noise(4)})
        api.get(f"/{noise(10)}")
        api.get(f"/orders/{random.randint(10**6, 10**9)}")
        client.generic(random.choice(["PROPFIND", "BREW", "TRACE"]), f"/{noise(5)}/")


def api_walk(api) -> None:
    spec = api.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if "get" in operations:
            api.get(re.sub(r"\{[^}]+\}", "1", path.removeprefix("/api/v1")))


def series(text: str) -> set[tuple]:
    return {
        (sample.name, tuple(sorted(sample.labels.items())))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def fresh_process_metrics():
    """The series a fresh process would have: the suite's earlier tests have called every
    service and view of the project in this one, which no single server does."""
    from prometheus_client import Counter, Histogram

    from containers import metrics

    # Only what calls add to; the gauges (module states) are the process's own, set at start.
    for value in vars(metrics).values():
        if isinstance(value, Counter | Histogram) and value._labelnames:
            value.clear()


def test_a_realistic_walk_leaves_metrics_small_and_random_paths_add_no_series(
    fresh_process_metrics, staff_client, api_client, django_assert_max_num_queries
):
    call_command("load_demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = get_user_model().objects
    pages = crawl(Client())
    for username in ("alice", "bob"):
        signed_in = Client()
        signed_in.force_login(users.get(username=username))
        pages += crawl(signed_in)
    pages += crawl(staff_client, limit=60)
    api = api_client(users.get(username="alice"), *SCOPES)
    api_walk(api)
    random_paths(Client(), api, rounds=20)
    staff_client.get("/metrics")  # the scrape's own series exist from the second scrape on
    first = staff_client.get("/metrics").content.decode()

    random_paths(Client(), api, rounds=100)
    with django_assert_max_num_queries(5):  # the task figures: read from the database at each scrape
        after = staff_client.get("/metrics").content.decode()

    print(f"{pages} pages walked; /metrics: {len(after.encode())} bytes, {len(series(after))} series")
    assert pages > 100
    assert len(after.encode()) < LIMIT_BYTES, f"{len(after.encode())} bytes"
    new = series(after) - series(first)
    assert not new, f"random paths made new series: {sorted(new)[:10]}"
    for name in ("marketplace_http_requests_total", "marketplace_service_calls_total"):
        assert name in after
    assert not re.search(r'view="/|status="\d{3}"', after)
