"""Check the ledger's invariants; exit 1 with a report on any violation."""

import json
import sys

from django.core.management.base import BaseCommand

from marketplace.wallets.management.commands._wallets import wallets_container
from services.money import format_btc


class Command(BaseCommand):
    help = "Audit the ledger: balanced entries, no negative balance, cached balances, escrows."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        report = wallets_container().ledger_auditor().audit()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, default=str))
        else:
            self.stdout.write(f"ledger audit ({report.scope}): {'OK' if report.ok else 'VIOLATIONS FOUND'}")
            for check in report.checks:
                mark = {"ok": "ok  ", "skipped": "skip", "violation": "FAIL"}[check.status]
                self.stdout.write(f"  [{mark}] {check.name}{': ' + check.detail if check.detail else ''}")
                for example in check.examples:
                    self.stdout.write(f"         {example}")
            totals = report.totals
            self.stdout.write(
                f"  custody {format_btc(totals['custody_sat'])} BTC = users {format_btc(totals['user_available_sat'])}"
                f" + pending withdrawals {format_btc(totals['pending_withdrawal_sat'])}"
                f" + escrow {format_btc(totals['escrow_sat'])} + fees {format_btc(totals['fees_sat'])}"
                f" ({totals['entries']} entries)"
            )
        if not report.ok:
            sys.exit(1)
