"""Gather every string marked for translation into locale/<code>/LC_MESSAGES/django.po.

Runs Django's ``makemessages`` (GNU gettext's xgettext and msgmerge: ``apt-get install gettext``)
over the code that shows text to people, for every language in LANGUAGES but the source one.
Translations already made are kept; a string that changed comes back marked fuzzy, which
tests/unit/test_translations.py refuses until a translator has confirmed it.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# What makemessages reads: the code that draws pages, e-mails and refusals. Tests, benches,
# docs and the module kit (which shows no text to buyers) are not translated.
SOURCES = ("marketplace", "services", "modules", "containers")
NOT_SOURCES = ["tests", "bench", "docs", "examples", "packages", "var", "locale", "build", "*.egg-info"]


def translated_languages() -> list[str]:
    source = settings.LANGUAGE_CODE.split("-")[0]
    return [code for code, _ in settings.LANGUAGES if code != source]


class Command(BaseCommand):
    help = "Update the translation catalogues (locale/*/LC_MESSAGES/django.po) from the marked strings."

    def handle(self, *args, **options):
        call_command(
            "makemessages",
            locale=translated_languages(),
            ignore_patterns=NOT_SOURCES,
            extensions=["html", "txt", "py"],
            no_obsolete=True,
            add_location="file",
            verbosity=options["verbosity"],
        )
