"""Record a confirmed deposit (manual chain backend). Idempotent on (txid, vout)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from marketplace.wallets.management.commands._wallets import wallets_container
from services.errors import ServiceError
from services.money import format_btc


class Command(BaseCommand):
    help = "Credit a user with a deposit already confirmed on chain (manual chain backend)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username or numeric user id")
        parser.add_argument("--amount-sat", required=True, type=int, help="amount in satoshis")
        parser.add_argument("--txid", required=True, help="transaction id (64 hex characters)")
        parser.add_argument(
            "--vout", required=True, type=int, help="output index in that transaction"
        )
        parser.add_argument("--staff", help="username of the staff member recording it")

    def handle(self, *args, **options):
        service = wallets_container().wallet_service()
        user = _user(options["user"])
        staff = _user(options["staff"]) if options.get("staff") else None
        try:
            result = service.record_deposit(
                user_id=user.pk,
                amount_sat=options["amount_sat"],
                txid=options["txid"],
                vout=options["vout"],
                recorded_by_id=staff.pk if staff else None,
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        verb = "was already recorded; nothing changed" if result.replayed else "credited"
        self.stdout.write(
            f"deposit {result.txid}:{result.vout} of {format_btc(result.amount_sat)} BTC "
            f"to {user.username}: {verb}"
        )


def _user(text: str):
    User = get_user_model()
    query = (
        User.objects.filter(pk=int(text)) if text.isdigit() else User.objects.filter(username=text)
    )
    user = query.first()
    if user is None:
        raise CommandError(f"no user {text!r}")
    return user
