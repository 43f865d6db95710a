"""Who has just changed, for the parts of pages kept per person (the header's balance, unread
count, shop link): services that change what a person's header shows say so here.

The ledger (a posting), the notification inbox (new, read) and the vendors module (a shop
opened) call ``changed``; whoever keeps people's parts (the vendors module's page cache,
marketplace/vendors/caching.py) listens and drops theirs. Nobody listening, nothing is kept:
``changed`` then costs nothing.
"""

from collections.abc import Callable, Iterable

Listener = Callable[[tuple[int, ...]], None]


class PersonalParts:
    def __init__(self) -> None:
        self._listeners: dict[str, Listener] = {}

    def listen(self, owner: str, listener: Listener) -> None:
        # Replaced whole, so a request reading it never sees it half changed.
        self._listeners = {**self._listeners, owner: listener}

    def unlisten(self, owner: str) -> None:
        self._listeners = {name: listener for name, listener in self._listeners.items() if name != owner}

    def changed(self, user_ids: Iterable[int | None]) -> None:
        """What these people's pages show has changed (or will, when the transaction commits)."""
        if not self._listeners:
            return
        people = tuple(sorted({int(uid) for uid in user_ids if uid is not None}))
        if people:
            for listener in self._listeners.values():
                listener(people)
