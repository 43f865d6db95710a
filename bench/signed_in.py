"""Signed-in pages under gunicorn: catalog, product, wallet, against the minimal view, in one run.

    .venv/bin/python bench/signed_in.py [--duration 5] [--rounds 3] [--connections 16] [--buyers 32]

The same throw-away state as bench/catalog.py (its ``environment`` and ``prepare``: SQLite under
a temporary directory unless DATABASE_URL is set, a private redis-server, 500+ products), plus
``--buyers`` signed-in buyers, each with a session and some money. gunicorn serves it (2 workers,
production settings, DEBUG off) and ``wrk`` loads it from 127.0.0.1, bounded in time. Every
request carries a buyer's session cookie: a Lua script walks the buyers' cookies, one request
after another (wrk's scripts cannot tell connections apart; each thread starts at another buyer),
so consecutive requests are different people, as on a real site.

* minimal, signed in: ``/bench/minimal`` with the cookie (middleware only; the session and the
  user are still read, for the private-page headers);
* catalog / product / wallet, signed in: ``/products/``, a product page and ``/wallets/``;
  catalog and product page from the page cache's shared part, the header drawn per request; the
  wallet page is all personal and never cached;
* catalog, signed in, no page cache: the same with MARKETPLACE_PAGE_CACHE_SECONDS=0 (reference);
* minimal / catalog, anonymous: no cookie, the whole page from the cache (bench/catalog.py's case).

Targets: signed-in catalog >= 0.5 x the signed-in minimal view; anonymous catalog >= 0.8 x minimal.
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.catalog import WRK, environment, prepare  # noqa: E402
from tests.support.servers import Gunicorn, RedisServer  # noqa: E402

SIGNED_IN_TARGET = 0.5
ANONYMOUS_TARGET = 0.8

BUYERS = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from containers import container, runtime
from marketplace.products.models import Product
from tests.support.wallets import credit, finance_pair

runtime.ensure_started()
users = container.accounts.user_service()
wallets = container.wallets.wallet_service()
proposer, confirmer = finance_pair("bench-funder")
cookies = []
for n in range({buyers}):
    user = users.register(username=f"buyer{{n}}", email=f"buyer{{n}}@example.com", password="a sturdy passphrase")
    credit(wallets, user_id=user.pk, amount_sat=1_000_000 + n, proposer_id=proposer.pk, confirmer_id=confirmer.pk)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookies.append(f"{{settings.SESSION_COOKIE_NAME}}={{client.cookies[settings.SESSION_COOKIE_NAME].value}}")
product = Product.objects.filter(is_active=True, stock__gt=0).order_by("pk").first().pk
print(json.dumps({{"cookies": cookies, "product": product}}))
"""

SCRIPT = """
local cookies = {cookies}
local path = "{path}"
local threads = 0
local at = 0

function setup(thread)
  threads = threads + 1
  thread:set("start", threads * 7)
end

function init(args)
  at = start or 0
end

function request()
  at = at + 1
  return wrk.format("GET", path, {{["Cookie"] = cookies[(at % #cookies) + 1]}})
end
"""


def add_buyers(env: dict, buyers: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", BUYERS.format(buyers=buyers)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def lua(directory: Path, name: str, path: str, cookies: list[str]) -> Path:
    script = directory / f"{name}.lua"
    listed = "{" + ", ".join(json.dumps(c) for c in cookies) + "}"
    script.write_text(SCRIPT.format(cookies=listed, path=path))
    return script


def wrk(url: str, *, duration: int, connections: int, script: Path | None = None, threads: int = 2) -> dict:
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", url]
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    latency = re.search(r"Latency\s+([\d.]+\w+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "latency": latency.group(1) if latency else "?",
    }


def fetch(url: str, cookie: str | None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
        cache = response.headers.get("X-Page-Cache-Signed-In") or response.headers.get("X-Page-Cache", "")
        return response.status, cache, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is kept)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--buyers", type=int, default=32, help="signed-in buyers, one session each")
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    var_dir = Path(tempfile.mkdtemp(prefix="bench-signed-in-"))
    (ROOT / "var").mkdir(exist_ok=True)
    redis = RedisServer().start()
    servers: list[Gunicorn] = []
    try:
        # One secret key for the sessions made here and the servers that read them.
        env = environment(var_dir, redis.url)
        prepare(env, args.products)
        state = add_buyers(env, args.buyers)
        cookies = state["cookies"]
        print(f"buyers: {len(cookies)} sessions; product page /products/{state['product']}/")
        cached = Gunicorn(workers=2, cwd=ROOT, env=env)
        uncached = Gunicorn(workers=2, cwd=ROOT, env={**env, "MARKETPLACE_PAGE_CACHE_SECONDS": "0"})
        servers = [cached.start(), uncached.start()]
        product = f"/products/{state['product']}/"
        # name: (server, path, signed in, what the page cache must say)
        scenarios = {
            "minimal, signed in": (cached, "/bench/minimal", True, {""}),
            "catalog, signed in": (cached, "/products/", True, {"hit"}),
            "product, signed in": (cached, product, True, {"hit"}),
            "wallet, signed in": (cached, "/wallets/", True, {""}),
            "catalog, signed in, no cache": (uncached, "/products/", True, {"off"}),
            "minimal, anonymous": (cached, "/bench/minimal", False, {""}),
            "catalog, anonymous": (cached, "/products/", False, {"hit"}),
        }
        scripts = {
            name: lua(var_dir, re.sub(r"\W+", "-", name), path, cookies) if member else None
            for name, (_, path, member, _) in scenarios.items()
        }
        for cookie in cookies:  # each buyer's first wallet visit hands out a deposit address
            fetch(cached.url + "/wallets/", cookie)
        for name, (server, path, member, expected) in scenarios.items():
            wrk(server.url + path, duration=2, connections=args.connections, script=scripts[name])  # warm-up
            for cookie in cookies[:3] if member else [None]:
                status, cache, body = fetch(server.url + path, cookie)
                if status != 200 or cache not in expected:
                    raise SystemExit(f"{name}: {path} answered {status} with page cache {cache!r}")
                if member and path != "/bench/minimal" and 'class="nav-profile"' not in body:
                    raise SystemExit(f"{name}: {path} is not a signed-in page")
        runs: dict[str, list[dict]] = {name: [] for name in scenarios}
        for round_number in range(1, args.rounds + 1):
            for name, (server, path, _, _) in scenarios.items():
                result = wrk(
                    server.url + path, duration=args.duration, connections=args.connections, script=scripts[name]
                )
                runs[name].append(result)
                print(
                    f"  round {round_number}  {name:<30} {result['rps']:>9.1f} req/s   "
                    f"latency {result['latency']:>8}   non-2xx {result['non_2xx']}",
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
        redis.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    median = {name: statistics.median(r["rps"] for r in results) for name, results in runs.items()}

    def paired(name: str, base: str) -> float:
        return statistics.median(a["rps"] / b["rps"] for a, b in zip(runs[name], runs[base], strict=True))

    print()
    print(
        f"gunicorn 2 workers (production settings, DEBUG off), Redis cache, wrk {args.connections} connections, "
        f"{args.rounds} x {args.duration}s interleaved; {args.products}+ products; {len(cookies)} buyers' "
        "session cookies taken in turn, request by request"
    )
    for name, value in median.items():
        print(f"  {name:<30} {value:>9.1f} req/s (median)")
    print("  ratios to the minimal view with the same cookie (median of the per-round ratios in brackets):")
    for name in ("catalog, signed in", "product, signed in", "wallet, signed in", "catalog, signed in, no cache"):
        ratio = median[name] / median["minimal, signed in"]
        print(f"    {name:<30} {ratio:.2f}   ({paired(name, 'minimal, signed in'):.2f})")
    anonymous = median["catalog, anonymous"] / median["minimal, anonymous"]
    print(
        f"    {'catalog, anonymous':<30} {anonymous:.2f}   ({paired('catalog, anonymous', 'minimal, anonymous'):.2f})"
        "   (to the minimal view without a cookie)"
    )
    signed = min(
        median["catalog, signed in"] / median["minimal, signed in"], paired("catalog, signed in", "minimal, signed in")
    )
    print(
        f"  the signed-in catalog {'meets' if signed >= SIGNED_IN_TARGET else 'is BELOW'} its target "
        f"(>= {SIGNED_IN_TARGET}); the anonymous catalog {'meets' if anonymous >= ANONYMOUS_TARGET else 'is BELOW'} "
        f"its target (>= {ANONYMOUS_TARGET})"
    )
    if any(r["non_2xx"] for results in runs.values() for r in results):
        raise SystemExit("some responses were errors: the figures are not valid")


if __name__ == "__main__":
    main()
