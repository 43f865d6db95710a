"""Every scheduled task once, here and now: the task scheduler's work for a deployment without one
(the embedded default, from cron), or to catch up by hand. Each is safe to run at any moment."""

import json

from django.core.management.base import BaseCommand, CommandError

from containers import container, runtime


class Command(BaseCommand):
    # Run every minute: the system checks (URLs, templates, every view imported) are for deploys.
    requires_system_checks = []
    help = (
        "Run each module's scheduled tasks once (order timeouts, deposit scans...) and send again the tasks "
        "that waited too long. Safe on several machines at once. Exit status 1 if one failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", action="append", default=[], help="this task only (repeatable), e.g. orders.process_timeouts"
        )
        parser.add_argument("--json", action="store_true", help="print the outcome as JSON")

    def handle(self, *args, **options):
        runtime.ensure_started()
        names = sorted(runtime.schedule())
        unknown = sorted(set(options["only"]) - set(names))
        if unknown:
            raise CommandError(f"not a scheduled task: {', '.join(unknown)} (scheduled: {', '.join(names) or 'none'})")
        tasks = container.core.task_service()
        outcomes = {name: tasks.run_now(name).status for name in options["only"] or names}
        outcomes["tasks.sweep"] = f"sent again: {tasks.sweep()}"
        if options["json"]:
            self.stdout.write(json.dumps(outcomes))
        else:
            for name, status in outcomes.items():
                self.stdout.write(f"{name}: {status}")
        if "failed" in outcomes.values():
            raise CommandError("a scheduled task failed: the ops page lists it with its error")
