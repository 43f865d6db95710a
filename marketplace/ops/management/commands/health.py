"""``python manage.py health [--json]``: the system health; exit status 1 when it is DOWN."""

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check the database, migrations, cache and every module; exit 1 when the system is DOWN."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")

    def handle(self, *args, **options):
        from containers import runtime

        report = runtime.health()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            self.stdout.write(f"System: {report['status']} (checked {report['checked_at']})")
            for name, component in report["components"].items():
                detail = component.get("detail") or {}
                note = detail.get("error") or ""
                critical = "" if component["critical"] else " (optional)"
                self.stdout.write(
                    f"  {component['status']:<9} {name}{critical} "
                    f"{component.get('duration_ms', 0):.1f} ms {note}".rstrip()
                )
        if report["status"] == "DOWN":
            raise CommandError("the system is DOWN")
