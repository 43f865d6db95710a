"""``python manage.py update_design``: compile the design tokens into ``tokens.css``; ``--check`` in CI."""

import difflib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketplace.design.tokens import CSS_FILE, TOKENS_FILE, TokenError, build, display_path


class Command(BaseCommand):
    help = (
        "Compile the design tokens (colours, spacing, type scale, radii, fonts) of "
        "marketplace/design/tokens.toml into the CSS custom properties the templates use, "
        "written to marketplace/static/marketplace/tokens.css (generated, never edited by hand). "
        "Invalid tokens (a bad colour, an unknown unit, a missing group...) are reported one by "
        "one and nothing is written. With --check, nothing is written either: exit 1 with a diff "
        "when tokens.css is not what the tokens compile to. Staff see every token and component "
        "at /design/."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit 1 (printing the difference) when the compiled CSS is stale.",
        )
        parser.add_argument(
            "--tokens",
            default=str(TOKENS_FILE),
            metavar="FILE",
            help="The tokens file (default: marketplace/design/tokens.toml).",
        )
        parser.add_argument(
            "--output",
            default=str(CSS_FILE),
            metavar="FILE",
            help="The CSS file to write or check (default: marketplace/static/marketplace/tokens.css).",
        )

    def handle(self, *args, **options):
        tokens_file = Path(options["tokens"])
        output = Path(options["output"])
        try:
            compiled = build(tokens_file)
        except TokenError as exc:
            raise CommandError(str(exc)) from None
        current = output.read_text(encoding="utf-8") if output.exists() else None
        shown = display_path(output)

        if options["check"]:
            if current == compiled:
                self.stdout.write(f"{shown} is up to date with {display_path(tokens_file)}.")
                return
            if current is None:
                self.stdout.write(f"{shown} does not exist.")
            else:
                diff = difflib.unified_diff(
                    current.splitlines(),
                    compiled.splitlines(),
                    fromfile=f"{shown} (on disk)",
                    tofile=f"{shown} (from the tokens)",
                    lineterm="",
                )
                self.stdout.write("\n".join(diff))
            raise CommandError(
                f"{shown} is stale: run python manage.py update_design", returncode=1
            )

        if current == compiled:
            self.stdout.write(f"{shown} is already up to date.")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(compiled, encoding="utf-8")
        count = compiled.count("\n  --")
        self.stdout.write(self.style.SUCCESS(f"Wrote {shown}: {count} custom properties."))
