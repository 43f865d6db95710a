"""Start-up: ``python manage.py check`` as a whole process, against a bare Django project's.

    .venv/bin/python bench/startup.py [--runs 7]

Every management command that runs the system checks pays this start-up before its first piece
of work, and a gunicorn worker pays most of it by its first request. The baseline is
``django-admin startproject`` in a temporary directory, run with the same interpreter and
environment; the two are run in turn (A B A B ...) and the ratio is taken pair by pair, so drift
in the machine's speed counts on both sides. The marketplace runs on its development settings
(SQLite, local memory), as ``./dev manage`` would.

Prints each side's median wall time and the median of the ratios; the target is <= 1.5. A third
side, ``manage.py process_order_timeouts`` with nothing to do, is what cron starts every minute: it
skips the system checks, so it imports no URLconf and no view; its ratio to the bare ``check`` is
printed too.

Run it with the interpreter of the installation to measure: the test extras bring pydantic-settings
and Werkzeug, which dependency-injector imports whenever they are installed (0.3 s together), so
a deployment's figure comes from an environment installed without them
(``python -m venv /tmp/prod && /tmp/prod/bin/pip install -e packages/django-modkit -e .``, then
``/tmp/prod/bin/python bench/startup.py``).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def timed(command: list[str], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="paired runs counted (after one of each not counted)")
    args = parser.parse_args()

    # Bytecode is written and read as on a deployed machine (the first, uncounted run writes it).
    dropped = ("DJANGO_", "DATABASE_URL", "REDIS_URL", "PYTHONDONTWRITEBYTECODE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        bare = Path(scratch)
        subprocess.run([sys.executable, "-m", "django", "startproject", "bare", str(bare)], check=True)
        var = bare / "marketplace-var"
        sides = {
            "marketplace": (
                [sys.executable, "manage.py", "check"],
                ROOT,
                {
                    **clean,
                    "DJANGO_SETTINGS_MODULE": "marketplace.settings.dev",
                    "MARKETPLACE_VAR_DIR": str(var),
                },
            ),
            "bare project": ([sys.executable, "manage.py", "check"], bare, clean),
        }
        # What cron runs every minute: no system checks, so no URLconf and no view is imported.
        sides["scheduled job"] = (
            [sys.executable, "manage.py", "process_order_timeouts"],
            ROOT,
            sides["marketplace"][2],
        )
        # Migrations are not part of check; the database file is made once, not counted.
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=sides["marketplace"][2],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times: dict[str, list[float]] = {name: [] for name in sides}
        for round_ in range(args.runs + 1):
            for name, (command, cwd, env) in sides.items():
                took = timed(command, cwd, env)
                if round_:  # the first of each warms the disk cache and the bytecode
                    times[name].append(took)
    for name, values in times.items():
        print(f"{name:14} median {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    for name, label, target in (("marketplace", "ratio", f"; target <= {TARGET}"), ("scheduled job", "job / bare", "")):
        ratios = [a / b for a, b in zip(times[name], times["bare project"], strict=True)]
        ratio = statistics.median(ratios)
        print(f"{label:14} median {ratio:.2f}  (min {min(ratios):.2f}, max {max(ratios):.2f}{target})")


if __name__ == "__main__":
    main()
