"""``python manage.py health [--json]``: the system health; exit status 1 when it is DOWN."""

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check the database, migrations, cache and every module; exit 1 when the system is DOWN."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")

    def handle(self, *args, **options):
        from modkit.current import active

        report = active().health()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
            return self._verdict(report)
        checked = f" (checked {report['checked_at']})" if "checked_at" in report else ""
        self.stdout.write(f"System: {report['status']}{checked}")
        # A project's health service reports components; modkit's own runtime, its modules.
        components = report.get("components") or {f"module.{n}": m for n, m in report.get("modules", {}).items()}
        for name, component in components.items():
            detail = component.get("detail") or {}
            note = detail.get("error") or component.get("error") or ""
            critical = "" if component.get("critical", True) else " (optional)"
            status = component.get("status") or component.get("state", "?")
            took = component.get("duration_ms", 0)
            self.stdout.write(f"  {status:<9} {name}{critical} {took:.1f} ms {note}".rstrip())
        self._verdict(report)

    def _verdict(self, report: dict) -> None:
        if report["status"] == "DOWN":
            raise CommandError("the system is DOWN")
