"""Settle the orders whose deadline passed: refund the unaccepted, complete the long shipped.

The task workers' scheduler runs the same service every minute (the task
``orders.process_timeouts``); this command is for a deployment without workers, or by hand. Run
it on as many machines as you like: each order is settled exactly once, and a run with nothing
due does nothing. Exit status 1 when an
order could not be settled (the others still are; the log says why).
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from containers import runtime


class Command(BaseCommand):
    # Run every minute: the system checks (URLs, templates, every view imported) are for deploys.
    requires_system_checks = []
    help = (
        "Refund paid orders the vendor did not accept in time (MARKETPLACE_ACCEPT_TIMEOUT_DAYS) and complete "
        "shipped orders nobody confirmed or disputed (MARKETPLACE_AUTO_FINALIZE_DAYS after shipping). "
        "Idempotent, and safe to run at the same moment on several machines. Exit status 1 if an order failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="at most this many orders of each kind per run (default 500)"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        runtime.ensure_started()
        if not runtime.modules.is_ready("orders"):
            raise CommandError(f"the orders module is not ready: {runtime.modules.record('orders').error}")
        report = runtime.module_container("orders").order_service().process_timeouts(limit=options["limit"])
        if options["json"]:
            self.stdout.write(
                json.dumps({"completed": report.completed, "refunded": report.expired, "failed": report.failed})
            )
        else:
            self.stdout.write(f"completed {len(report.completed)} order(s): {', '.join(report.completed) or '-'}")
            self.stdout.write(f"refunded {len(report.expired)} order(s): {', '.join(report.expired) or '-'}")
            for order_id, error in report.failed:
                self.stderr.write(f"FAILED order id {order_id}: {error}")
        if not report.ok:
            sys.exit(1)
