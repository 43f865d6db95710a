"""Every string marked for translation has a confirmed translation in every language we offer,
and the catalogues compile; a page asked for in German is drawn in German.

The marked strings are gathered afresh (``update_translations``) from a copy of the sources, so
the check sees what the code marks today, not what the catalogues were last updated from.
"""

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from marketplace.management.commands.update_translations import SOURCES, translated_languages

BASE = Path(settings.BASE_DIR)


def untranslated(po: Path) -> list[str]:
    with po.open("rb") as source:
        catalogue = read_po(source)
    missing = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory):
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext is needed to gather the marked strings: apt-get install gettext (./dev test does it)")
    copy = tmp_path_factory.mktemp("sources")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "static", "*.mo")
    for name in SOURCES:
        shutil.copytree(BASE / name, copy / name, ignore=ignore)
    shutil.copytree(BASE / "locale", copy / "locale", ignore=ignore)
    # makemessages writes beside the sources it finds, under the working directory.
    with pytest.MonkeyPatch.context() as patch, settings_locale(copy / "locale"):
        patch.chdir(copy)
        call_command("update_translations", verbosity=0)
    return copy / "locale"


class settings_locale:
    def __init__(self, path):
        from django.test import override_settings

        self._override = override_settings(LOCALE_PATHS=[path])

    def __enter__(self):
        self._override.enable()

    def __exit__(self, *exc):
        self._override.disable()


@pytest.mark.parametrize("code", translated_languages())
def test_every_marked_string_is_translated(fresh_catalogues, code):
    po = fresh_catalogues / code / "LC_MESSAGES" / "django.po"
    assert po.exists(), f"no catalogue for {code}: run ./dev manage update_translations"
    missing = untranslated(po)
    assert not missing, (
        f"{len(missing)} marked string(s) without a confirmed {code} translation "
        f"(./dev manage update_translations, then translate locale/{code}/LC_MESSAGES/django.po): {missing[:20]}"
    )


@pytest.mark.parametrize("code", translated_languages())
def test_the_committed_catalogue_is_current(fresh_catalogues, code):
    """The catalogue in the repository holds exactly the strings the code marks."""
    with (fresh_catalogues / code / "LC_MESSAGES" / "django.po").open("rb") as source:
        fresh = {message.id for message in read_po(source) if message.id}
    with (BASE / "locale" / code / "LC_MESSAGES" / "django.po").open("rb") as source:
        committed = {message.id for message in read_po(source) if message.id}
    assert fresh == committed, (
        f"locale/{code} is out of step with the code: run ./dev manage update_translations "
        f"(new: {sorted(map(str, fresh - committed))[:10]}, gone: {sorted(map(str, committed - fresh))[:10]})"
    )


def test_catalogues_compile_and_are_used(tmp_path):
    call_command("compile_translations", verbosity=0)
    for code in translated_languages():
        assert (BASE / "locale" / code / "LC_MESSAGES" / "django.mo").exists()
    footer = "A modular marketplace · amounts in bitcoin"
    with translation.override("de"):
        assert translation.gettext(footer) == "Ein modularer Marktplatz · Beträge in Bitcoin"
