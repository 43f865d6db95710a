"""Compile every translation catalogue (``.po``) the project ships into the ``.mo`` Django reads.

Django's own ``compilemessages`` needs GNU gettext's ``msgfmt``; Babel writes the same files in
pure Python, so the quick start works on a machine without gettext. Only catalogues newer than
their compiled file are written, so running it before every start costs next to nothing.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogue_dirs() -> list[Path]:
    """Where Django looks for translations: LOCALE_PATHS, then each installed app's locale/."""
    found = [Path(path) for path in settings.LOCALE_PATHS]
    found += [Path(app.path) / "locale" for app in apps.get_app_configs()]
    return [path for path in dict.fromkeys(found) if path.is_dir()]


def ours(path: Path) -> bool:
    """Django's and other installed libraries' catalogues arrive compiled in their wheels."""
    path = path.resolve()
    return Path(settings.BASE_DIR).resolve() in path.parents and "site-packages" not in path.parts


class Command(BaseCommand):
    help = "Compile the project's translation catalogues (.po) into .mo files, where they changed."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="compile even the catalogues that look current")

    def handle(self, *args, force=False, **options):
        written = current = 0
        for folder in filter(ours, catalogue_dirs()):
            for po in sorted(folder.glob("*/LC_MESSAGES/*.po")):
                mo = po.with_suffix(".mo")
                if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                    current += 1
                    continue
                with po.open("rb") as source:
                    try:
                        catalogue = read_po(source, locale=po.parts[-3], abort_invalid=True)
                    except Exception as error:  # Babel raises its own PoFileError, and ValueError on a bad locale
                        raise CommandError(f"{po}: {error}") from error
                with mo.open("wb") as target:
                    # Fuzzy entries are guesses a translator has not confirmed: never shown.
                    write_mo(target, catalogue, use_fuzzy=False)
                written += 1
        self.stdout.write(f"translations: {written} compiled, {current} already current")
