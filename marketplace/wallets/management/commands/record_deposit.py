"""Propose a deposit seen on chain; another member of staff confirms it (``confirm_deposit``)."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.wallets.management.commands._wallets import user_by_name, wallets_container
from services.errors import ServiceError
from services.money import format_btc


class Command(BaseCommand):
    help = "Propose a deposit already on chain; it is credited once a second person confirms it."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username or numeric id of the user to credit")
        parser.add_argument("--amount-sat", required=True, type=int, help="amount in satoshis")
        parser.add_argument("--txid", required=True, help="transaction id (64 hex characters)")
        parser.add_argument("--vout", required=True, type=int, help="output index in that transaction")
        parser.add_argument("--by", required=True, help="username of the staff member proposing it")

    def handle(self, *args, **options):
        service = wallets_container().wallet_service()
        user, staff = user_by_name(options["user"]), user_by_name(options["by"])
        try:
            result = service.propose_deposit(
                staff_user_id=staff.pk,
                user_id=user.pk,
                amount_sat=options["amount_sat"],
                txid=options["txid"],
                vout=options["vout"],
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        state = "was already recorded; nothing changed" if result.replayed else "proposed"
        self.stdout.write(
            f"deposit #{result.deposit_id} {result.txid}:{result.vout} of {format_btc(result.amount_sat)} BTC "
            f"to {user.username}: {state} ({result.status})"
        )
        if result.status == "proposed":
            self.stdout.write(
                f"  another member of staff confirms it: manage.py confirm_deposit --by USERNAME {result.deposit_id}"
            )
