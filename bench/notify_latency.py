"""Checkout latency when the mail server answers at once and when it takes seconds, in one run.

    .venv/bin/python bench/notify_latency.py [--checkouts 20] [--rounds 3] [--delay 2]

Builds a throw-away state (SQLite under a temporary directory, a private redis-server), serves
it with gunicorn (2 workers, production settings as bench/catalog.py runs them) and starts one
Celery worker with beat (2 processes), which sends every notification by e-mail to an SMTP
server of this process (aiosmtpd). Each checkout tells the vendor "New order ..." by e-mail,
through the task queue. A buyer checks out one product at a time through the pages (add to
cart, the checkout page, the checkout POST); only the POST is timed.

The rounds alternate two phases of ``--checkouts`` checkouts each, on the same servers:

* fast: the mail server answers each message at once;
* slow: it waits ``--delay`` seconds before answering each (the worker falls behind: its
  processes spend the phase waiting on the mail server).

Between phases the mail server is made fast and the queue drained, so each phase starts with an
idle worker. Prints the median and p90 of the checkout POST in each phase and their ratio
(target: slow / fast <= 1.1), and checks that every checkout's e-mail arrived exactly once.
"""

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.hosts import CeleryWorker, SlowSmtp, checkout, manage, production_env  # noqa: E402
from tests.support.http import HttpClient  # noqa: E402
from tests.support.servers import Gunicorn, RedisServer  # noqa: E402

TARGET = 1.1
WORKERS = 2
PASSWORD = "a sturdy passphrase"  # bench/orders.py's users
# bench/orders.py's buyer (funded through four eyes), vendor and product (10,000 sat, a million
# in stock); the vendor's address verified, as notifications by e-mail require.
SEED = """
import django
django.setup()
from django.contrib.auth import get_user_model
from containers import container, runtime
from bench.orders import prepare
runtime.ensure_started()
world = prepare(container, {count})
get_user_model().objects.filter(pk=world["vendor"]).update(email_verified=True)
print(world["product"])
"""
VENDOR_ADDRESS = "vendor@bench.example"
SEEDING = {"MARKETPLACE_TASKS_IN_PROCESS": "1", "MARKETPLACE_NOTIFICATIONS_BACKEND": "log"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def figures(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:7.1f} ms   p90 {percentile(values, 0.9) * 1e3:7.1f} ms"


def drain(smtp: SlowSmtp, expected: int, timeout: float = 120) -> float:
    """Make the mail server fast and wait for every e-mail asked for so far; the seconds it took."""
    started = time.monotonic()
    smtp.delay = 0
    while len(smtp.delivered(to=VENDOR_ADDRESS)) < expected:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"only {len(smtp.delivered(to=VENDOR_ADDRESS))} of {expected} e-mails in {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=20, help="checkouts per phase and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the slow mail server takes per message")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    (ROOT / "var").mkdir(exist_ok=True)
    redis = RedisServer().start()
    smtp = SlowSmtp(delay=0).start()
    env = production_env(
        var_dir=var_dir,
        database_url=f"sqlite:///{var_dir / 'db.sqlite3'}",
        redis_url=redis.url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        LOG_LEVEL="WARNING",
        **smtp.env(),
    )
    server = worker = None
    times: dict[str, list[float]] = {"fast": [], "slow": []}
    references: list[str] = []
    try:
        manage("migrate", "--noinput", "-v0", env=env)
        manage("collectstatic", "--noinput", "-v0", env=env)
        total = (args.rounds * 2 + 1) * args.checkouts
        seeded = manage("shell", "-c", SEED.format(count=total), env={**env, **SEEDING})
        product = int(seeded.stdout.strip().splitlines()[-1])
        server = Gunicorn(workers=WORKERS, env=env, extra_args=["--log-level", "warning"]).start()
        worker = CeleryWorker(env=env, var_dir=var_dir, concurrency=2).start()
        buyer = HttpClient(server.url)
        buyer.login("bench-buyer", PASSWORD)

        # Warm-up: both web workers past their first checkout (broker connection, caches).
        warm_up = []
        for _ in range(args.checkouts):
            answer, reference = checkout(buyer, product)
            warm_up.append(answer.seconds)
            references.append(reference)
        drain(smtp, len(references))
        print(
            f"warm-up: first checkout {warm_up[0] * 1e3:.1f} ms, slowest {max(warm_up) * 1e3:.1f} ms; "
            f"after the first two {figures(warm_up[2:])}"
        )
        for round_number in range(1, args.rounds + 1):
            for phase in ("fast", "slow"):
                smtp.delay = args.delay if phase == "slow" else 0
                start = len(times[phase])
                for _ in range(args.checkouts):
                    answer, reference = checkout(buyer, product)
                    times[phase].append(answer.seconds)
                    references.append(reference)
                behind = len(references) - len(smtp.delivered(to=VENDOR_ADDRESS))
                drained = drain(smtp, len(references))
                print(
                    f"round {round_number}: {phase} mail  {figures(times[phase][start:])}   "
                    f"{behind:3d} e-mail(s) not yet sent at the end, all sent {drained:.1f} s later",
                    flush=True,
                )
    finally:
        for part in (worker, server):
            if part is not None:
                part.stop()
        smtp.stop()
        redis.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    fast, slow = times["fast"], times["slow"]
    ratio = statistics.median(slow) / statistics.median(fast)
    ratio_p90 = percentile(slow, 0.9) / percentile(fast, 0.9)
    print()
    print(
        f"gunicorn {WORKERS} workers (production settings, DEBUG off), SQLite, Redis broker, one Celery worker "
        f"(2 processes); {args.checkouts} checkouts x {args.rounds} rounds per phase, the POST timed"
    )
    print(f"  {'mail answers at once':<24}{figures(fast)}")
    print(f"  {f'mail takes {args.delay:g} s each':<24}{figures(slow)}")
    print(f"  slow / fast: median {ratio:.2f} x, p90 {ratio_p90:.2f} x   (target <= {TARGET})")
    mailed = [m.subject for m in smtp.delivered(to=VENDOR_ADDRESS)]
    per_order = {ref: sum(ref in subject for subject in mailed) for ref in references}
    twice = sorted(ref for ref, n in per_order.items() if n > 1)
    missing = sorted(ref for ref, n in per_order.items() if n == 0)
    print(f"  e-mails: {len(references)} checkouts, {len(mailed)} e-mails, {len(twice)} twice, {len(missing)} missing")
    verdict = "meets" if ratio <= TARGET else "is ABOVE"
    print(f"  checkout latency with a slow mail server {verdict} the target")
    if twice or missing or len(mailed) != len(references):
        raise SystemExit(f"e-mails do not match the checkouts: twice {twice[:5]}, missing {missing[:5]}")
    unknown = [s for s in mailed if not re.search(r"New order ORD-\w+", s)]
    if unknown:
        raise SystemExit(f"unexpected e-mails: {unknown[:5]}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
