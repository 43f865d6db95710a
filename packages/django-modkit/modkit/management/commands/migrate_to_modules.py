"""``python manage.py migrate_to_modules``: the project's plain apps, checked, planned, made modules."""

import argparse
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from modkit.modularize import report as text
from modkit.modularize.analysis import analyse
from modkit.modularize.discovery import UnknownApp
from modkit.modularize.layout import Layout
from modkit.modularize.plan import build_plan, default_author, default_target
from modkit.modularize.staging import carry_out


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
                   Nothing is planned while something blocks.
  (neither)        carry the plan out safely: the files are written into a copy of the project
                   with the new modules enabled, where manage.py check and manage.py test for the
                   migrated apps (their own tests and the generated ones) must pass; only then
                   are they written into the project. On any failure nothing is written. Apps that
                   are modules already are left alone, so a second run has nothing to do.

Files go inside each app's package: <app>/module.py, <app>/<app>_service.py and the test next
to the app's tests, so nothing new appears at the top of the project. A project that keeps
modules and services in packages of their own sets MODKIT_MIGRATION (see modkit's docs).
Settings are not edited: the line that enables the new modules is printed.

Exit status: 0 when nothing blocks (and, when writing, the verification passed); 1 when
something does (an import error, missing or unapplied migrations, a cycle, a name already
taken, a failed verification; direct model use in views is work, not a blocker); 2 for an
unknown app.

Examples:
  python manage.py migrate_to_modules --validate-only
  python manage.py migrate_to_modules --dry-run --apps shop blog
  python manage.py migrate_to_modules --apps notifications --name notifications=alerts
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
            "--rewrite-views",
            action="store_true",
            help="Also rewrite the views to call the services (received by injection) and enable the "
            "new modules in the settings file; verified like the rest: the apps' own tests and every page.",
        )
        parser.add_argument(
            "--name",
            nargs="+",
            default=[],
            metavar="APP=NAME",
            help="Name the module of an app (default: its label), e.g. when the label is taken.",
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
        self.as_json = options["json"]
        self.progress = sys.stderr if self.as_json else self.stdout
        root = default_target()
        layout = Layout.from_settings(root)
        names = self._names(options["name"])
        try:
            analysis = analyse(
                root=root, wanted=options["apps"], layout=layout, database=options["database"], names=names
            )
        except UnknownApp as exc:
            raise CommandError(str(exc), returncode=2) from exc
        document = self._document(analysis, root, options)
        if options["validate_only"] or not analysis.ok:
            # A broken app gets its errors and no plan: a plan built from unreadable code would mislead.
            lines = text.validation(analysis) + text.blockers(analysis)
            if not options["validate_only"]:
                lines.append("No plan: fix what blocks, then run the command again. Nothing was written.")
            self._finish(document, lines)
            return
        plan = build_plan(
            analysis,
            layout=layout,
            author=options["author"] or default_author(),
            names=names,
            rewrite=options["rewrite_views"],
        )
        document["plan"] = plan.as_dict(root)
        document["ok"] = not plan.blockers
        lines = text.validation(analysis) + text.plan_text(plan, root, full=options["dry_run"])
        if options["dry_run"] or plan.blockers or not plan.writes:
            self._finish(document, lines + self._plan_end(plan, options["dry_run"]))
            return
        outcome = carry_out(plan, root=root)
        document["result"] = outcome.as_dict()
        document["ok"] = not outcome.problems
        self._finish(document, lines + text.outcome_text(outcome) + self._next(plan, outcome))

    def _names(self, pairs: list[str]) -> dict[str, str]:
        names = {}
        for pair in pairs:
            label, sep, name = pair.partition("=")
            if not sep or not label or not name:
                raise CommandError(f"--name takes APP=NAME, not {pair!r}", returncode=2)
            names[label] = name
        return names

    def _document(self, analysis, root: Path, options) -> dict:
        labels = [r.label for r in analysis.reports]
        if not self.as_json:
            self.stdout.write(f"migrate_to_modules: {len(labels)} app(s) in {root}: {', '.join(labels) or 'none'}")
        for index, report in enumerate(analysis.reports, 1):
            self.progress.write(text.app_line(report, index, len(labels)) + "\n")
        return {
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

    @staticmethod
    def _plan_end(plan, dry_run: bool) -> list[str]:
        if plan.blockers:
            found = [f"  - {b}" for b in plan.blockers]
            return ["", f"Blocking ({len(found)}):", *found, "Nothing was written."]
        if plan.apps and not plan.writes:
            return ["", "Nothing to do: the files of an earlier run are in place and up to date."]
        return ["", "Nothing was written (dry run)."] if dry_run and plan.apps else []

    @staticmethod
    def _next(plan, outcome) -> list[str]:
        if outcome.problems:
            return []
        if plan.settings_file is not None:
            return ["", "Done: the views receive the services by injection and the settings enable the modules."]
        return ["", "Next: add the settings line above, then update the views as listed (or run with --rewrite-views)."]

    def _finish(self, document: dict, lines: list[str]) -> None:
        if self.as_json:
            self.stdout.write(json.dumps(document, indent=2, default=str))
        else:
            self.stdout.write("\n".join(lines))
        if not document["ok"]:
            count = (
                len(document["blockers"])
                or len(document.get("plan", {}).get("blockers", []))
                or len(document.get("result", {}).get("problems", []))
            )
            raise CommandError(f"{count} blocking problem(s); see above", returncode=1)
