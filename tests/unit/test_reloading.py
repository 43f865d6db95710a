"""Importing code anew: from source every time, dependencies first, all or nothing."""

import sys
import textwrap

import pytest
from modkit.reloading import fresh_import, import_order


@pytest.fixture
def package(tmp_path, monkeypatch):
    root = tmp_path / "hotpkg"
    root.mkdir()
    (root / "__init__.py").write_text("from hotpkg.service import Service\n")
    (root / "helper.py").write_text("VALUE = 1\n")
    (root / "service.py").write_text("from hotpkg.helper import VALUE\n\nclass Service:\n    value = VALUE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import hotpkg.service  # noqa: F401

    yield root
    for name in [n for n in sys.modules if n == "hotpkg" or n.startswith("hotpkg.")]:
        del sys.modules[name]


def write(path, text):
    path.write_text(textwrap.dedent(text))


def test_dependencies_are_imported_first(package):
    assert import_order(["hotpkg.service", "hotpkg.helper"]) == ["hotpkg.helper", "hotpkg.service"]


def test_new_code_in_a_new_module_object_old_code_untouched(package):
    old_module = sys.modules["hotpkg.service"]
    old_class = old_module.Service
    write(package / "helper.py", "VALUE = 2\n")
    fresh_import(["hotpkg.service", "hotpkg.helper"])
    new_module = sys.modules["hotpkg.service"]
    assert new_module is not old_module
    assert new_module.Service.value == 2
    assert old_class.value == 1 and old_module.Service is old_class
    # The package's attributes, re-exports included, follow the new code.
    assert sys.modules["hotpkg"].service is new_module
    assert sys.modules["hotpkg"].Service is new_module.Service


def test_two_edits_within_one_second_are_both_seen(package):
    for value in (10, 11, 12):
        write(package / "helper.py", f"VALUE = {value}\n")
        fresh_import(["hotpkg.helper"])
        assert sys.modules["hotpkg.helper"].VALUE == value


def test_a_failure_puts_every_module_back(package):
    before = {n: sys.modules[n] for n in ("hotpkg.helper", "hotpkg.service")}
    write(package / "helper.py", "VALUE = 3\n")
    write(package / "service.py", "raise RuntimeError('boom at import')\n")
    with pytest.raises(RuntimeError, match="boom at import"):
        fresh_import(["hotpkg.service", "hotpkg.helper"])
    assert {n: sys.modules[n] for n in before} == before
    assert sys.modules["hotpkg"].helper is before["hotpkg.helper"]


def test_undo_restores_after_a_later_failure(package):
    before = sys.modules["hotpkg.helper"]
    write(package / "helper.py", "VALUE = 4\n")
    undo = fresh_import(["hotpkg.helper"])
    assert sys.modules["hotpkg.helper"].VALUE == 4
    undo()
    assert sys.modules["hotpkg.helper"] is before


def test_a_thread_importing_the_name_meanwhile_gets_the_whole_new_module(package):
    # The new code takes a while between its two names; an import from another thread in
    # that time must wait for it, as it would for a first import, not see half of it.
    write(
        package / "service.py",
        """
        import threading, time
        from hotpkg.helper import VALUE

        threading._hotpkg_started.set()
        time.sleep(0.3)

        class Service:
            value = VALUE + 100
        """,
    )
    import threading

    threading._hotpkg_started = threading.Event()
    seen = {}

    def importer():
        threading._hotpkg_started.wait(5)
        try:
            from hotpkg.service import Service

            seen["value"] = Service.value
        except ImportError as exc:
            seen["error"] = str(exc)

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        fresh_import(["hotpkg.service"])
    finally:
        thread.join(5)
        del threading._hotpkg_started
    assert seen == {"value": 101}
