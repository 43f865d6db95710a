"""Ledger throughput on PostgreSQL against pgbench's TPC-B-like rate on the same server.

    DATABASE_URL=postgres://marketplace:marketplace@127.0.0.1:5432/marketplace .venv/bin/python bench/ledger.py

Creates two scratch databases on that server (its role needs CREATEDB) and drops them at the end:
one for ``pgbench -i -s <clients>`` then ``pgbench -c <clients> -T <seconds>`` (TPC-B-like: three
UPDATEs, a SELECT and an INSERT per transaction), one migrated for the marketplace where
<clients> processes run ``WalletService.transfer`` between random users for the same time.
Prints both rates and their ratio (target: ledger >= 0.6 x pgbench).
"""

import argparse
import multiprocessing
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PGBENCH_CANDIDATES = ["/usr/lib/postgresql/15/bin/pgbench", "pgbench"]
TARGET = 0.6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=1000, help="ledger accounts transfers pick from")
    parser.add_argument("--rounds", type=int, default=1, help="alternate pgbench and ledger this many times")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.database_url)
    if url.scheme not in ("postgres", "postgresql"):
        print("bench/ledger.py needs DATABASE_URL=postgres://user:pass@host:port/db", file=sys.stderr)
        return 2
    pgbench = next((p for p in PGBENCH_CANDIDATES if shutil.which(p)), None)
    if pgbench is None:
        print("pgbench not found (apt-get install postgresql)", file=sys.stderr)
        return 2

    server = Server(url)
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    pg_db, ledger_db = f"bench_pgbench_{suffix}", f"bench_ledger_{suffix}"
    server.create(pg_db)
    server.create(ledger_db)
    try:
        print(
            f"server {server.host}:{server.port}, {args.clients} clients, {args.seconds}s per run, "
            f"{os.cpu_count()} CPU(s) shared by clients and server"
        )
        subprocess.run(
            [pgbench, "-i", "-q", "-s", str(args.clients), *server.args(pg_db)],
            env=server.env(),
            check=True,
            capture_output=True,
        )
        prepare_ledger(server.url(ledger_db), args.users)
        pg_rates, ledger_rates = [], []
        for round_number in range(1, args.rounds + 1):
            pg_rates.append(run_pgbench(pgbench, server, pg_db, args.clients, args.seconds))
            print(f"round {round_number}: pgbench TPC-B-like  {pg_rates[-1]:9.1f} tps")
            ledger_rates.append(run_ledger(server.url(ledger_db), args.clients, args.seconds, args.users))
            print(
                f"round {round_number}: ledger transfers     {ledger_rates[-1]:9.1f} tps  "
                f"(ratio {ledger_rates[-1] / pg_rates[-1]:.2f})"
            )
        pg, ledger = max(pg_rates), max(ledger_rates)
        ratio = ledger / pg if pg else 0.0
        print(
            f"best: ledger {ledger:.1f} transfers/s, pgbench {pg:.1f} tps, ratio {ratio:.2f} "
            f"(target >= {TARGET:.2f}: {'met' if ratio >= TARGET else 'NOT met'})"
        )
        return 0
    finally:
        server.drop(pg_db)
        server.drop(ledger_db)


class Server:
    def __init__(self, url):
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 5432
        self.user = urllib.parse.unquote(url.username or "")
        self.password = urllib.parse.unquote(url.password or "")

    def url(self, database: str) -> str:
        auth = urllib.parse.quote(self.user) + (":" + urllib.parse.quote(self.password) if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{database}"

    def env(self) -> dict:
        return {**os.environ, "PGPASSWORD": self.password}

    def args(self, database: str) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.user, database]

    def _admin(self):
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        )

    def create(self, database: str) -> None:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{database}"')

    def drop(self, database: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run_pgbench(pgbench: str, server: Server, database: str, clients: int, seconds: int) -> float:
    jobs = min(clients, os.cpu_count() or 1)
    done = subprocess.run(
        [pgbench, "-c", str(clients), "-j", str(jobs), "-T", str(seconds), *server.args(database)],
        env=server.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(
        r"tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)",
        done.stdout,
    )
    if not match:
        raise RuntimeError(f"cannot read pgbench's rate from:\n{done.stdout}")
    return float(match.group(1))


def _django(database_url: str, modules: str | None = "accounts,wallets") -> None:
    """Django set up in this process on ``database_url``, with ``modules`` (None: the settings' list)."""
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DEBUG="0",  # no query log: it would grow with every transfer and slow it down
        SECRET_KEY=secrets.token_urlsafe(64),
        LOG_LEVEL="WARNING",
    )
    if modules is None:
        os.environ.pop("MARKETPLACE_MODULES", None)
    else:
        os.environ["MARKETPLACE_MODULES"] = modules
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_ledger(database_url: str, users: int) -> None:
    """Migrate, create the users and give each a deposit, in a child process (clean Django)."""
    child = multiprocessing.get_context("spawn").Process(target=_prepare, args=(database_url, users))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError("preparing the ledger database failed")


def _prepare(database_url: str, users: int) -> None:
    _django(database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from containers import container, runtime

    runtime.ensure_started()
    User = get_user_model()
    User.objects.bulk_create(
        [User(username=f"bench{i}", email=f"bench{i}@example.com", password="!") for i in range(users)]
    )
    service = container.wallets.wallet_service()
    # Money in as in production: one finance member proposes each deposit, another confirms it.
    proposer, confirmer = (User.objects.create_user(f"finance-{n}", f"finance-{n}@example.com") for n in (1, 2))
    for member in (proposer, confirmer):
        container.core.staff_access().set_roles(user_id=member.pk, roles=["finance"])
    for number, user in enumerate(User.objects.filter(username__startswith="bench").order_by("pk")):
        proposal = service.propose_deposit(
            staff_user_id=proposer.pk, user_id=user.pk, amount_sat=10**9, txid=f"{number:064x}", vout=0
        )
        service.confirm_deposit(staff_user_id=confirmer.pk, deposit_id=proposal.deposit_id)


def run_ledger(database_url: str, clients: int, seconds: int, users: int) -> float:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    workers = [
        context.Process(target=_transfer_loop, args=(database_url, seed, seconds, barrier, results))
        for seed in range(clients)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()  # every client is connected and warm; the clock starts for all at once
    counts = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    done = sum(n for n, _ in counts)
    elapsed = max(t for _, t in counts)
    return done / elapsed


def _transfer_loop(database_url: str, seed: int, seconds: int, barrier, results) -> None:
    _django(database_url)
    from django.contrib.auth import get_user_model

    from containers import container, runtime

    runtime.ensure_started()
    ids = list(get_user_model().objects.filter(username__startswith="bench").values_list("pk", flat=True))
    service = container.wallets.wallet_service()
    rng = random.Random(seed)
    service.transfer(
        sender_id=ids[0],
        recipient_id=ids[1],
        amount_sat=1,
        idempotency_key=f"warm-{seed}-{time.time()}",
    )
    barrier.wait()
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        sender, recipient = rng.sample(ids, 2)
        service.transfer(
            sender_id=sender,
            recipient_id=recipient,
            amount_sat=rng.randint(1, 1000),
            idempotency_key=f"bench-{seed}-{done}-{started}",
        )
        done += 1
    results.put((done, time.perf_counter() - started))


if __name__ == "__main__":
    sys.exit(main())
