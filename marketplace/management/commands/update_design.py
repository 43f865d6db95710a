"""``python manage.py update_design``: compile the design tokens into ``tokens.css``; ``--check`` in CI."""

import argparse
import difflib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from marketplace.design.tokens import CSS_FILE, TOKENS_FILE, TokenError, build, display_path


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = """Compile the design tokens into the CSS custom properties every page uses.

The tokens (colours, spacing, type scale, radii, fonts, line heights) live in one file,
marketplace/design/tokens.toml; the command writes marketplace/static/marketplace/tokens.css
(generated: never edit it), which base.html links before site.css. Invalid tokens are reported
one per line (a bad colour, an unknown unit, a missing required group, a reference to a token
that does not exist) and nothing is written. Staff see every token and component at /design/.

Exit status: 0 when the file is written or already current; 1 for invalid tokens, and with
--check when tokens.css is stale (the difference is printed). CI runs it with --check.

Examples:
  python manage.py update_design
  python manage.py update_design --check"""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = HelpFormatter  # keep the paragraphs of the help above
        return parser

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
            raise CommandError(f"{shown} is stale: run python manage.py update_design", returncode=1)

        if current == compiled:
            self.stdout.write(f"{shown} is already up to date.")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(compiled, encoding="utf-8")
        count = compiled.count("\n  --")
        self.stdout.write(self.style.SUCCESS(f"Wrote {shown}: {count} custom properties."))
