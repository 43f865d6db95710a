"""``python manage.py migrate_to_modules``: the project's plain apps, checked, planned, made modules."""

import argparse
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from marketplace.modularize import report as text
from marketplace.modularize.analysis import analyse
from marketplace.modularize.discovery import UnknownApp
from marketplace.modularize.plan import apply_plan, build_plan, default_author, default_target


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    # A project with a broken import fails Django's URL checks; reporting it is this command's job.
    requires_system_checks = []
    help = """Turn the project's own Django apps into modules of the modular system.

Modes:
  --validate-only  check each app: its code imports; its migrations are complete and applied
                   (as makemigrations --check and showmigrations tell); whether a module exists
                   for it. Infer the dependency graph from model relations (foreign keys,
                   one-to-one, many-to-many) and imports, and report cycles with their path
                   (shop -> inventory -> shop). List every direct model use in views (file:line)
                   as work to move into a service.
  --dry-run        print the plan, in dependency order: per app the module file and its
                   container, the service (one method per direct model use, the operation moved
                   into it), the test file, the views to update and the settings line to add.
  (neither)        carry the plan out: new files only, never overwriting one, so a second run
                   changes nothing; then load the new modules and validate them with the module
                   registry. Settings are not edited: the exact MARKETPLACE["modules"] entry is
                   printed.

Files go under the project root (settings.BASE_DIR) or --target: modules/<app>.py,
services/<app>_service.py, tests/integration/test_<app>_service.py (tests/ when there is no
integration folder). In another project these folders, without __init__.py, extend the modular
system's modules and services packages. Add "marketplace.modularize" to INSTALLED_APPS there.

Exit status: 0 when nothing blocks; 1 when something does (an import error, missing or
unapplied migrations, a cycle; direct model use in views is work, not a blocker); 2 for an
unknown app.

Examples:
  python manage.py migrate_to_modules --validate-only
  python manage.py migrate_to_modules --dry-run --apps shop blog
  python manage.py migrate_to_modules --json > plan.json"""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = HelpFormatter  # keep the paragraphs of the help above
        return parser

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--validate-only",
            action="store_true",
            help="Check the apps and report; change nothing. Exit 1 when something blocks.",
        )
        mode.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the migration plan and the code it would write; change nothing.",
        )
        parser.add_argument(
            "--apps",
            nargs="+",
            metavar="APP",
            help="App labels (or dotted app names) to migrate; default: every app of the project "
            "(Django's and installed packages' apps are never included).",
        )
        parser.add_argument(
            "--target",
            metavar="DIR",
            help="Directory that receives modules/, services/ and tests/ (default: settings.BASE_DIR).",
        )
        parser.add_argument(
            "--author",
            help="Author written in the generated @module(...) metadata (default: '<project> team').",
        )
        parser.add_argument(
            "--database",
            default="default",
            help="Database alias whose migration state is checked (default: 'default').",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON document on stdout (progress lines go to stderr).",
        )

    def handle(self, *args, **options):
        as_json = options["json"]
        progress = sys.stderr if as_json else self.stdout
        target = Path(options["target"]).resolve() if options["target"] else default_target()
        root = default_target()
        try:
            analysis = analyse(root=root, wanted=options["apps"], database=options["database"])
        except UnknownApp as exc:
            raise CommandError(str(exc), returncode=2) from exc

        labels = [r.label for r in analysis.reports]
        if not as_json:
            self.stdout.write(f"migrate_to_modules: {len(labels)} app(s) in {root}: {', '.join(labels) or 'none'}")
        for index, report in enumerate(analysis.reports, 1):
            progress.write(text.app_line(report, index, len(labels)) + "\n")
        document = {
            "root": str(root),
            "mode": "validate" if options["validate_only"] else "dry-run" if options["dry_run"] else "migrate",
            "apps": [r.as_dict(root) for r in analysis.reports],
            "graph": {
                "order": labels,
                "edges": [e.as_dict() for e in analysis.graph.edges()],
                "cycles": [" -> ".join(c) for c in analysis.cycles],
            },
            "problems": analysis.problems,
            "warnings": analysis.warnings,
            "blockers": analysis.blockers,
            "ok": analysis.ok,
        }

        if options["validate_only"]:
            self._finish(document, as_json, text.validation(analysis) + text.blockers(analysis))
            return

        plan = build_plan(analysis, target=target, author=options["author"] or default_author())
        document["plan"] = plan.as_dict(root)
        if options["dry_run"] or not analysis.ok:
            lines = text.validation(analysis) + text.plan_text(plan, root) + text.blockers(analysis)
            if not analysis.ok and not options["dry_run"]:
                lines.append("Nothing was written: fix what blocks, then run the command again.")
            self._finish(document, as_json, lines)
            return

        outcome = apply_plan(plan, root)
        for index, app in enumerate(plan.apps, 1):
            written = [str(f.path.relative_to(target)) for f in app.files if not f.exists]
            progress.write(f"[{index}/{len(plan.apps)}] {app.app.label}: wrote {', '.join(written) or 'nothing'}\n")
        document["result"] = outcome.as_dict()
        document["ok"] = not outcome.problems
        lines = text.plan_text(plan, root, full=False) + text.outcome_text(outcome)
        if plan.apps and not outcome.problems:
            lines += [
                "",
                "Next: add the settings line above, update the views as listed, and run the new tests.",
            ]
        self._finish(document, as_json, lines)

    def _finish(self, document: dict, as_json: bool, lines: list[str]) -> None:
        if as_json:
            self.stdout.write(json.dumps(document, indent=2, default=str))
        else:
            self.stdout.write("\n".join(lines))
        if not document["ok"]:
            count = len(document["blockers"]) or len(document.get("result", {}).get("problems", []))
            raise CommandError(f"{count} blocking problem(s); see above", returncode=1)
