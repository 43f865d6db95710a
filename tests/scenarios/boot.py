"""Shared start of every scenario: Django on a fresh SQLite file, migrated, modules started."""

import os
import sys
from pathlib import Path


def boot(db_name: str = "scenario.sqlite3"):
    root = Path.cwd()
    sys.path.insert(0, str(root))
    var = Path(os.environ.get("MARKETPLACE_VAR_DIR", root / "var"))
    var.mkdir(parents=True, exist_ok=True)
    db = var / db_name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    from containers import runtime

    runtime.ensure_started()
    return runtime
