"""API catalog throughput under gunicorn, against a minimal Django view in the same run.

    .venv/bin/python bench/api_catalog.py [--duration 5] [--rounds 5] [--connections 16] [--products 500]

The same throw-away project and servers as bench/catalog.py (production settings, DEBUG off,
gunicorn 2 workers, a private redis-server, wrk on 127.0.0.1), measuring:

* minimal:        ``/bench/minimal``, a view returning a fixed string (middleware only);
* API, anonymous: ``/api/v1/products`` (24 products a page, as JSON);
* API, token:     the same with ``Authorization: Bearer`` (a token lookup and the per-token limit);
* catalog page:   ``/products/`` (the cached HTML page, for comparison).

The API's rate limits are raised for the run (they would refuse a load generator at once).
Prints requests per second and the ratios; the target is API, anonymous >= 0.5 x minimal.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.catalog import WRK, environment, prepare, wrk  # noqa: E402
from tests.support.servers import Gunicorn, RedisServer  # noqa: E402

TARGET = 0.5
UNLIMITED = {"MARKETPLACE_API_ADDRESS_RATE": "100000000/m", "MARKETPLACE_API_TOKEN_RATE": "100000000/m"}

TOKEN = """
import django
django.setup()
from django.contrib.auth import get_user_model
from containers import runtime, container
runtime.ensure_started()
bob = get_user_model().objects.get(username="bob")
print(container.api.api_service().create_token(user_id=bob.pk, name="bench", scopes=["catalog:read"]).secret)
"""


def get_json(url: str, token: str | None = None) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is kept)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--products", type=int, default=500)
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    var_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    (ROOT / "var").mkdir(exist_ok=True)
    redis = RedisServer().start()
    server = None
    try:
        env = environment(var_dir, redis.url, **UNLIMITED)
        prepare(env, args.products)
        made = subprocess.run(
            [sys.executable, "-c", TOKEN], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        token = made.stdout.strip().splitlines()[-1]
        server = Gunicorn(workers=2, cwd=ROOT, env=env).start()
        page = get_json(server.url + "/api/v1/products")
        if len(page["items"]) != 24:
            raise SystemExit(f"the API's first page has {len(page['items'])} products, not 24")
        if get_json(server.url + "/api/v1/products", token)["items"] != page["items"]:
            raise SystemExit("the token's page differs from the anonymous one")
        scenarios = {
            "minimal view": (server.url + "/bench/minimal", None),
            "API, anonymous": (server.url + "/api/v1/products", None),
            "API, token": (server.url + "/api/v1/products", token),
            "catalog page": (server.url + "/products/", None),
        }
        for url, bearer in scenarios.values():
            wrk(url, duration=2, connections=args.connections, token=bearer)  # warm-up
        runs: dict[str, list[dict]] = {name: [] for name in scenarios}
        for round_number in range(1, args.rounds + 1):
            for name, (url, bearer) in scenarios.items():
                result = wrk(url, duration=args.duration, connections=args.connections, token=bearer)
                runs[name].append(result)
                print(
                    f"  round {round_number}  {name:<16} {result['rps']:>9.1f} req/s   "
                    f"latency {result['latency']:>8}   non-2xx {result['non_2xx']}",
                    flush=True,
                )
    finally:
        if server is not None:
            server.stop()
        redis.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    median = {name: statistics.median(r["rps"] for r in results) for name, results in runs.items()}
    minimal = median["minimal view"]
    print()
    print(
        f"gunicorn 2 workers (production settings, DEBUG off), Redis cache, wrk {args.connections} "
        f"connections, {args.rounds} x {args.duration}s interleaved; {args.products}+ products, 24 per page"
    )
    for name, value in median.items():
        print(f"  {name:<16} {value:>9.1f} req/s (median)   / minimal = {value / minimal:.2f}")
    paired = statistics.median(
        a["rps"] / m["rps"] for a, m in zip(runs["API, anonymous"], runs["minimal view"], strict=True)
    )
    print(f"  API, anonymous / minimal: median of the per-round ratios {paired:.2f} (target >= {TARGET})")
    verdict = "meets" if min(paired, median["API, anonymous"] / minimal) >= TARGET else "is BELOW"
    print(f"  the API catalog {verdict} the target")
    if any(r["non_2xx"] for results in runs.values() for r in results):
        raise SystemExit("some responses were errors: the figures are not valid")


if __name__ == "__main__":
    main()
