"""The health report as rows a person reads: one per component, checks under their module.

The report (services/health_service.py) nests dicts of whatever each check returned; a page that
printed them would show Python's repr. Here every value becomes text and every nested key a
dotted one, so the ops page only lays rows out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The words beside the colour of a status badge, for readers who do not see the colour.
LABELS = {"UP": gettext_lazy("Up"), "DEGRADED": gettext_lazy("Degraded"), "DOWN": gettext_lazy("Down")}


@dataclass(frozen=True)
class HealthRow:
    name: str
    status: str
    label: str
    critical: bool
    latency_ms: float | None
    message: str
    details: list[tuple[str, str]] = field(default_factory=list)
    checks: list[HealthRow] = field(default_factory=list)

    @property
    def failing(self) -> bool:
        return self.status != "UP"


def health_rows(report: dict) -> list[HealthRow]:
    return [_row(name, component) for name, component in report.get("components", {}).items()]


def _row(name: str, component: dict, *, critical: bool | None = None) -> HealthRow:
    detail = component.get("detail")
    detail = dict(detail) if isinstance(detail, dict) else {"value": detail}
    # A module's checks (modkit's get_module_health) become rows of their own; only at the top.
    checks = detail.pop("checks", None) if critical is None and isinstance(detail.get("checks"), dict) else None
    status = str(component.get("status", "DOWN"))
    message = _message(detail, status)
    return HealthRow(
        name=name,
        status=status,
        label=str(LABELS.get(status, status.capitalize())),
        critical=bool(component.get("critical", False) if critical is None else critical),
        latency_ms=component.get("duration_ms"),
        message=message,
        details=flatten(detail),
        checks=[
            _row(check, value, critical=False) for check, value in (checks or {}).items() if isinstance(value, dict)
        ],
    )


def _message(detail: dict, status: str) -> str:
    """What went wrong (the error), else a sentence the check gave; the rest stays in details."""
    if detail.get("error"):
        return text(detail.pop("error"))
    if isinstance(detail.get("detail"), str):
        return detail.pop("detail")
    return _("OK") if status == "UP" else ""


def flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": 1}, "c": [1, 2]}`` -> ``[("a.b", "1"), ("c", "1, 2")]``, keys in their order."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, inner in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(inner, dict) and inner:
                rows.extend(flatten(inner, name))
            else:
                rows.append((name, text(inner)))
        return rows
    return [(prefix or "value", text(value))]


def text(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(text(item) for item in value) or _("none")
    if isinstance(value, dict):
        return ", ".join(f"{key}: {text(inner)}" for key, inner in value.items()) or _("none")
    return str(value)
