"""``{{ user_balance.btc }}`` on every page (docs/writing-a-module.md shows it in use).


Lazy: a page that never shows the balance costs nothing, one that does costs one query, and an
anonymous visitor (or a marketplace running without wallets) gets nothing at all.
"""

from functools import cached_property

from dependency_injector.wiring import Provide, inject

KNOWN = "_user_balance"


def remember_balance(request, balance) -> None:
    """A page that read the balance already (the wallet) spares the header asking again."""
    setattr(request, KNOWN, balance)


class LazyBalance:
    def __init__(self, queries, user_id: int, request=None):
        self._queries = queries
        self._user_id = user_id
        self._request = request

    @cached_property
    def _balance(self):
        # Kept on the request too: a page drawn in parts (marketplace/shared_pages.py) gets
        # this processor's values more than once, and asks at most once.
        known = getattr(self._request, KNOWN, None)
        if known is None:
            known = self._queries.get_balance(user_id=self._user_id)
            if self._request is not None:
                remember_balance(self._request, known)
        return known

    @property
    def sat(self) -> int:
        return self._balance.available_sat

    @property
    def btc(self) -> str:
        return self._balance.btc

    @property
    def pending_withdrawal_sat(self) -> int:
        return self._balance.pending_withdrawal_sat

    def __str__(self) -> str:
        return self.btc


@inject
def user_balance(request, queries=Provide["wallets.wallet_queries"]) -> dict:
    from containers import runtime

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not runtime.modules.is_ready("wallets"):
        return {}
    return {"user_balance": LazyBalance(queries, user.pk, request)}
