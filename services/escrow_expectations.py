"""Where other modules tell the wallets what every order's escrow should hold.

Wallets cannot import orders (orders depends on wallets), yet the ledger audit must compare
each escrow account with the order it belongs to. So a module that owns orders registers a
callable here in its ``initialize()`` and removes it in ``cleanup()``::

    expectations = self.container.wallets.escrow_expectations()   # hypothetically, in OrdersModule
    expectations.register(owner="orders", source=lambda: {"ORD-1": 150_000, ...})
    ...
    expectations.unregister(owner="orders")

The callable returns ``{order_ref: expected escrow balance in satoshis}`` for every order whose
money should be in escrow now (paid, not yet released or refunded). Sources are called at audit
time, never cached.
"""

import threading
from collections.abc import Callable, Mapping

Source = Callable[[], Mapping[str, int]]


class EscrowExpectations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[str, Source] = {}

    def register(self, *, owner: str, source: Source) -> None:
        if not owner or not callable(source):
            raise ValueError("register(owner=<module name>, source=<callable>)")
        with self._lock:
            sources = dict(self._sources)
            sources[owner] = source
            self._sources = sources  # replaced whole: readers never lock

    def unregister(self, *, owner: str, source: Source | None = None) -> None:
        """Remove ``owner``'s source; with ``source``, only if it is still that one (a reloaded
        module registers its new source before its old instance is cleaned up)."""
        with self._lock:
            if source is not None and self._sources.get(owner) is not source:
                return
            sources = dict(self._sources)
            sources.pop(owner, None)
            self._sources = sources

    def owners(self) -> list[str]:
        return sorted(self._sources)

    def adopt(self, other: "EscrowExpectations") -> None:
        """Take over another registry's sources (a reloaded wallets module keeps its extensions)."""
        if other is self:
            return
        for owner in other.owners():
            self.register(owner=owner, source=other._sources[owner])

    def expected(self) -> dict[str, int] | None:
        """Every registered expectation merged; ``None`` while nobody has registered."""
        sources = self._sources
        if not sources:
            return None
        merged: dict[str, int] = {}
        for owner, source in sorted(sources.items()):
            for order_ref, amount in dict(source()).items():
                if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                    raise ValueError(f"{owner}: expected escrow for {order_ref!r} is not a sat amount: {amount!r}")
                if order_ref in merged:
                    raise ValueError(f"{owner}: order {order_ref!r} is claimed by two sources")
                merged[str(order_ref)] = amount
        return merged
