"""Health statuses with an order of severity, and how components add up to a system status."""

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Status.UP: 0, Status.DEGRADED: 1, Status.DOWN: 2}


@dataclass
class Component:
    name: str
    status: Status
    critical: bool = True
    duration_ms: float = 0.0
    detail: dict = field(default_factory=dict)

    def as_dict(self, *, details: bool = True) -> dict:
        data = {"status": str(self.status), "critical": self.critical}
        if details:
            data["duration_ms"] = round(self.duration_ms, 3)
            data["detail"] = self.detail
        return data


def aggregate(components: list[Component]) -> Status:
    """A critical DOWN makes the system DOWN; any other failure only DEGRADED."""
    status = Status.UP
    for component in components:
        if component.status is Status.DOWN and component.critical:
            return Status.DOWN
        if component.status is not Status.UP and status is Status.UP:
            status = Status.DEGRADED
    return status
