"""Confirm a deposit proposal as the second person: the user is credited, once."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.wallets.management.commands._wallets import user_by_name, wallets_container
from services.errors import ServiceError
from services.money import format_btc


class Command(BaseCommand):
    help = "Confirm a deposit proposed by someone else (by proposal id, or txid:vout) and credit it."

    def add_arguments(self, parser):
        parser.add_argument("deposit", help="the proposal's id, or TXID:VOUT")
        parser.add_argument("--by", required=True, help="username of the staff member confirming it")

    def handle(self, *args, **options):
        wallets = wallets_container()
        staff = user_by_name(options["by"])
        reference = options["deposit"].strip()
        try:
            if ":" in reference:
                txid, _, vout = reference.rpartition(":")
                if not vout.isascii() or not vout.isdigit():
                    raise CommandError(f"{reference!r} is not TXID:VOUT (vout a whole number)")
                deposit_id = wallets.wallet_queries().live_deposit_id(txid=txid, vout=int(vout))
            else:
                deposit_id = reference
            result = wallets.wallet_service().confirm_deposit(staff_user_id=staff.pk, deposit_id=deposit_id)
        except ServiceError as error:
            raise CommandError(error.message) from None
        state = "was already confirmed; nothing changed" if result.replayed else "confirmed and credited"
        self.stdout.write(
            f"deposit #{result.deposit_id} {result.txid}:{result.vout} of {format_btc(result.amount_sat)} BTC: {state}"
        )
