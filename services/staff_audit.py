"""The staff audit log: every staff action on money, append-only (who, what, when, from where)."""

from dataclasses import dataclass

from marketplace.accounts.models import StaffAction


@dataclass(frozen=True)
class Actor:
    """A staff member acting, and the address the request came from (empty outside a request)."""

    user_id: int
    client_ip: str = ""


class StaffAudit:
    def __init__(self, *, clock):
        self._clock = clock

    def record(self, *, actor: Actor, action: str, target: str, detail: dict | None = None) -> StaffAction:
        """One row, inside the caller's transaction: it commits with the act it describes."""
        return StaffAction.objects.create(
            actor_id=actor.user_id,
            action=action,
            target=target[:120],
            detail=detail or {},
            client_ip=actor.client_ip or None,
            created_at=self._clock.now(),
        )

    def recent(self, *, limit: int = 50, actions: tuple[str, ...] = ()) -> list[StaffAction]:
        rows = StaffAction.objects.select_related("actor").order_by("-id")
        if actions:
            rows = rows.filter(action__in=actions)
        return list(rows[: max(1, min(int(limit), 500))])
