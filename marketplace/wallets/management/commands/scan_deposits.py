"""One poll of the chain backend: credit confirmed deposits, list pending ones, undo reorged ones."""

import json

from django.core.management.base import BaseCommand, CommandError

from marketplace.wallets.management.commands._wallets import wallets_container
from services.errors import ServiceError


class Command(BaseCommand):
    # Run every minute: the system checks (URLs, templates, every view imported) are for deploys.
    requires_system_checks = []
    help = "Poll the chain backend once for deposits (bitcoin_core: listsinceblock)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--descriptor",
            action="store_true",
            help="print the watch-only descriptor to import in Bitcoin Core, and do nothing else",
        )

    def handle(self, *args, **options):
        wallets = wallets_container()
        if options["descriptor"]:
            self.stdout.write(wallets.deposit_key().descriptor())
            return
        try:
            report = wallets.wallet_service().scan_deposits()
        except ServiceError as error:
            raise CommandError(error.message) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.__dict__, default=list))
        else:
            self.stdout.write(
                f"{report.backend}: {report.credited} credited, {report.pending} pending, "
                f"{report.removed} removed, {report.ignored} ignored; next scan from {report.last_block or '(start)'}"
            )
            for line in report.skipped:
                self.stdout.write(f"  skipped {line}")
        if report.needs_review:
            for problem in report.needs_review:
                self.stderr.write(f"NEEDS REVIEW: {problem}")
            raise CommandError(f"{len(report.needs_review)} credited deposit(s) were removed from the chain")
