"""Human-readable output of ``migrate_to_modules`` (``--json`` gives the same facts to machines)."""

from pathlib import Path

from marketplace.modularize.analysis import Analysis, AppReport
from marketplace.modularize.graph import format_cycle
from marketplace.modularize.plan import AppPlan, Outcome, Plan


def app_line(report: AppReport, index: int, total: int) -> str:
    parts = []
    parts.append(
        f"imports ok ({len(report.imported)} modules)"
        if not report.import_problems
        else f"{len(report.import_problems)} module(s) do not import"
    )
    state = report.migrations
    if state is None:
        parts.append("migrations not checked")
    elif state.problems:
        parts.append("migrations NOT ready")
    elif not state.has_models and not state.applied:
        parts.append("no models")
    else:
        parts.append(f"migrations: {len(state.applied)} applied, none missing")
    if report.module is not None:
        enabled = "enabled" if report.module.enabled else "not enabled"
        parts.append(f"module exists: {report.module.path} {report.module.version} ({enabled})")
    else:
        parts.append("no module yet")
    uses = len(report.orm_uses)
    parts.append(f"{uses} direct model use{'s' if uses != 1 else ''} in views")
    if report.dependencies:
        parts.append(f"needs {', '.join(report.dependencies)}")
    status = "BLOCKED" if report.blockers else "ok"
    return f"[{index}/{total}] {report.label}: {' · '.join(parts)} · {status}"


def validation(analysis: Analysis) -> list[str]:
    out: list[str] = []
    edges = analysis.graph.edges()
    shown = {r.label for r in analysis.reports}
    relevant = [e for e in edges if e.source in shown or e.target in shown]
    out.append("")
    out.append("Dependency graph (from model relations and imports):")
    if not relevant:
        out.append("  no dependencies between the project's apps")
    pairs = list(dict.fromkeys((e.source, e.target) for e in relevant))
    for source, target in pairs:
        out.append(f"  {source} -> {target}")
        out.extend(f"      {edge}" for edge in analysis.graph.evidence(source, target))
    out.append("")
    if analysis.cycles:
        out.append("Dependency cycles (a module graph must have none):")
        out.extend(f"  {format_cycle(c)}" for c in analysis.cycles)
    else:
        out.append("Dependency cycles: none")
    out.append("")
    uses = [u for r in analysis.reports for u in r.orm_uses]
    if uses:
        out.append("Direct model use in views (work to move into services):")
        for use in uses:
            model = use.model.label if use.model else "?"
            out.append(f"  {use.file}:{use.line}  {use.view}  {use.operation} {model} ({use.kind}): {use.code}")
    else:
        out.append("Direct model use in views: none")
    for report in analysis.reports:
        out.extend(f"warning: {u}" for u in report.undeclared)
    for report in analysis.reports:
        if report.external:
            out.append(f"{report.label} also uses models of {', '.join(report.external)} (outside the project)")
    out.extend(f"warning: {w}" for w in analysis.warnings)
    return out


def blockers(analysis: Analysis) -> list[str]:
    found = analysis.blockers
    if not found:
        return ["", "Nothing blocks the migration."]
    return ["", f"Blocking ({len(found)}):", *(f"  - {b}" for b in found)]


def plan_text(plan: Plan, root: Path, *, full: bool = True) -> list[str]:
    out = [""]
    if not plan.apps:
        out.append("Nothing to create: every selected app already has its module.")
        return out
    out.append(f"Plan: {len(plan.apps)} module(s), in dependency order, under {plan.target}")
    for app in plan.apps:
        out.extend(app_plan_text(app, root, full=full))
    out.append("")
    out.append("Settings line to add (not edited for you):")
    out.extend(f"  {line}" for line in plan.settings_lines)
    out.extend(f"warning: {w}" for w in plan.warnings)
    return out


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def app_plan_text(app: AppPlan, root: Path, *, full: bool) -> list[str]:
    out = ["", f"== {app.app.label} -> module {app.name!r} =="]
    deps = ", ".join(app.dependencies) or "none"
    out.append(f"  module    {app.module_class} in modules/{app.name}.py (dependencies: {deps})")
    if app.service_class:
        out.append(f"  container {app.container_class}: {app.service_name} = providers.Factory({app.service_class})")
        out.append(f"  service   {app.service_class} in services/{app.service_module}.py, {len(app.methods)} method(s)")
    if app.urls:
        out.append(f"  pages     urls={app.urls!r} url_prefix={app.url_prefix!r} wire={tuple(app.wire)!r}")
    for planned in app.files:
        state = "exists, kept as is" if planned.exists else "new"
        out.append(f"  file      {_shown(planned.path, root)} ({state})")
    for note in app.notes:
        out.append(f"  note      {note}")
    if app.untested:
        out.append(f"  untested  {', '.join(app.untested)}")
    if full:
        for planned in app.files:
            if planned.kind in ("module", "service"):
                out.append(f"  --- {_shown(planned.path, root)} ---")
                out.extend(f"  | {line}" if line else "  |" for line in planned.content.rstrip("\n").split("\n"))
    if app.view_changes:
        out.append(f"  views to update: {app.injection()}")
        for change in app.view_changes:
            out.append(f"  - {change.file}:{change.line} {change.view} -> {app.service_name}.{change.method}()")
            out.extend(f"      - {line}" for line in change.before.split("\n"))
            out.extend(f"      + {line}" for line in change.after.split("\n"))
    return out


def outcome_text(outcome: Outcome) -> list[str]:
    out = [""]
    if outcome.created:
        out.append("Created:")
        out.extend(f"  {path}" for path in outcome.created)
    if outcome.kept:
        out.append("Already there, left untouched:")
        out.extend(f"  {path}" for path in outcome.kept)
    if outcome.verified:
        out.append(f"Loaded and validated with the module registry: {', '.join(outcome.verified)}")
    if outcome.problems:
        out.append("Problems after writing:")
        out.extend(f"  - {p}" for p in outcome.problems)
    return out
