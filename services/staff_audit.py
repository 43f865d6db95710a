"""The staff audit log: every staff action on money, append-only (who, what, when, from where)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketplace.accounts.models import StaffAction
    from services.ports import Clock


def _staff_action():
    # Imported on use: the core container is declared in every project that runs the modular
    # system (containers/application.py), its tools included, and the accounts app that holds
    # this table may not be installed there; only recording or reading the log needs it.
    from marketplace.accounts.models import StaffAction

    return StaffAction


@dataclass(frozen=True)
class Actor:
    """A staff member acting, and the address the request came from (empty outside a request)."""

    user_id: int
    client_ip: str = ""


class StaffAudit:
    def __init__(self, *, clock: Clock):
        self._clock = clock

    def record(self, *, actor: Actor, action: str, target: str, detail: dict | None = None) -> StaffAction:
        """One row, inside the caller's transaction: it commits with the act it describes."""
        return _staff_action().objects.create(
            actor_id=actor.user_id,
            action=action,
            target=target[:120],
            detail=detail or {},
            client_ip=actor.client_ip or None,
            created_at=self._clock.now(),
        )

    def recent(self, *, limit: int = 50, actions: tuple[str, ...] = ()) -> list[StaffAction]:
        rows = _staff_action().objects.select_related("actor").order_by("-id")
        if actions:
            rows = rows.filter(action__in=actions)
        return list(rows[: max(1, min(int(limit), 500))])
