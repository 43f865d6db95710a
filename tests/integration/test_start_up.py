"""What a process does as it starts. Collection is held, then resumed with start-up's objects
frozen (marketplace/gc_at_start.py): a command and a WSGI worker run with the collector on. The
views are not imported until something asks for them, and are wired when they are."""

import gc
import os
import subprocess
import sys
from pathlib import Path

from marketplace import gc_at_start

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import gc; print(gc.isenabled(), gc.get_freeze_count())"


def run(*args: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings.test"}
    env.pop("PYTHONPATH", None)
    out = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split("\n")[-2]


def test_a_command_runs_with_collection_on_and_start_up_frozen():
    enabled, frozen = run("manage.py", "shell", "-c", PROBE).split()
    assert enabled == "True" and int(frozen) > 50_000


def test_a_wsgi_worker_runs_with_collection_on_and_start_up_frozen():
    enabled, frozen = run("-c", f"import marketplace.wsgi; {PROBE}").split()
    assert enabled == "True" and int(frozen) > 50_000


def test_holding_in_a_process_already_set_up_changes_nothing():
    gc_at_start.hold()  # pytest set Django up long ago: nothing would ever release it
    try:
        assert gc.isenabled()
    finally:
        gc_at_start.release()
    assert gc.isenabled()


def test_views_are_imported_only_when_asked_for_and_wired_then():
    probe = (
        "import sys; views = [m for m in sys.modules if m.startswith('marketplace.') and m.count('.') == 2]; "
        "print(any(m.endswith(('.views', '.api')) for m in views), end=' '); "
        "from django.test import RequestFactory; from marketplace.ops.views import live; "
        "print(live(RequestFactory().get('/')).status_code)"
    )
    imported_at_start, status = run("manage.py", "shell", "-c", probe).split()
    assert imported_at_start == "False"
    assert status == "200"  # its health service injected: wired as it was imported
