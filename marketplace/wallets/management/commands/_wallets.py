"""What the wallets commands share: the running module's services, or a clear refusal."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def wallets_container():
    from containers import container, runtime

    runtime.ensure_started()
    if "wallets" not in runtime.modules:
        raise CommandError("the wallets module is not enabled (MARKETPLACE_MODULES)")
    if not runtime.modules.is_ready("wallets"):
        raise CommandError(f"the wallets module is not ready: {runtime.modules.record('wallets').error}")
    return container.wallets


def user_by_name(text: str):
    """A user named on the command line, by username or numeric id."""
    User = get_user_model()
    text = (text or "").strip()
    by_id = text.isascii() and text.isdigit() and len(text) <= 18
    query = User.objects.filter(pk=int(text)) if by_id else User.objects.filter(username=text)
    user = query.first()
    if user is None:
        raise CommandError(f"no user {text!r}")
    return user
