"""What the wallets commands share: the running module's services, or a clear refusal."""

from django.core.management.base import CommandError


def wallets_container():
    from containers import container, runtime

    runtime.ensure_started()
    if "wallets" not in runtime.modules:
        raise CommandError("the wallets module is not enabled (MARKETPLACE_MODULES)")
    if not runtime.modules.is_ready("wallets"):
        raise CommandError(
            f"the wallets module is not ready: {runtime.modules.record('wallets').error}"
        )
    return container.wallets
