"""Human-readable output of ``migrate_to_modules`` (``--json`` gives the same facts to machines)."""

from pathlib import Path

from modkit.modularize.analysis import Analysis, AppReport
from modkit.modularize.graph import format_cycle
from modkit.modularize.plan import AppPlan, Plan
from modkit.modularize.rules import rules_text
from modkit.modularize.staging import Outcome


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
    out = _graph_text(analysis)
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


def _graph_text(analysis: Analysis) -> list[str]:
    shown = {r.label for r in analysis.reports}
    relevant = [e for e in analysis.graph.edges() if e.source in shown or e.target in shown]
    out = ["", "Dependency graph (from model relations and imports):"]
    if not relevant:
        out.append("  no dependencies between the project's apps")
    for source, target in dict.fromkeys((e.source, e.target) for e in relevant):
        out.append(f"  {source} -> {target}")
        out.extend(f"      {edge}" for edge in analysis.graph.evidence(source, target))
    out.append("")
    if analysis.cycles:
        out.append("Dependency cycles (a module graph must have none):")
        out.extend(f"  {format_cycle(c)}" for c in analysis.cycles)
    else:
        out.append("Dependency cycles: none")
    out.append("")
    return out


def blockers(analysis: Analysis) -> list[str]:
    found = analysis.blockers
    if not found:
        return ["", "Nothing blocks the migration."]
    return ["", f"Blocking ({len(found)}):", *(f"  - {b}" for b in found)]


def plan_text(plan: Plan, root: Path, *, full: bool = True) -> list[str]:
    out = [""]
    if plan.done:
        out.append(f"Already modules, nothing to do: {', '.join(plan.done)}")
    if not plan.apps:
        out.append("Nothing to do: every selected app is a module already.")
        return out
    out.append(f"Plan: {len(plan.apps)} module(s), in dependency order")
    for app in plan.apps:
        out.extend(app_plan_text(app, root, full=full))
    out.append("")
    if plan.settings_file is not None:
        where = _shown(plan.settings_file.path, root)
        out.append(f"Settings: added to {where} (the rewritten views need the modules):")
    else:
        out.append("Settings line that enables them (add it to your settings):")
    out.extend(f"  {line}" for line in plan.settings_lines)
    out.extend(f"warning: {w}" for w in plan.warnings)
    return out


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def app_plan_text(app: AppPlan, root: Path, *, full: bool) -> list[str]:
    out = ["", f"== {app.app.label} -> module {app.name!r} =="]
    deps = ", ".join(app.dependencies) or "none"
    out.append(f"  module    {app.module_class} in {_shown(app.files[0].path, root)} (dependencies: {deps})")
    if app.service_class:
        out.append(f"  container {app.container_class}: {app.service_name} = providers.Factory({app.service_class})")
        where = _shown(app.files[1].path, root)
        out.append(f"  service   {app.service_class} in {where}, {len(app.methods)} method(s)")
    if app.urls:
        out.append(f"  pages     urls={app.urls!r} url_prefix={app.url_prefix!r}")
    for planned in app.files:
        state = _state(planned)
        out.append(f"  file      {_shown(planned.path, root)} ({state})")
    out.extend(f"  note      {note}" for note in app.notes)
    if app.rules:
        out.append("  stays where it is (rules, signals; move by hand when the service should own them):")
        out.extend(rules_text(app.rules, indent="    "))
    out.extend(f"  BLOCKED   {b}" for b in app.blockers)
    if app.untested:
        out.append(f"  untested  {', '.join(app.untested)}")
    if full:
        out.extend(_contents(app, root))
    out.extend(_view_changes(app))
    return out


def _state(planned) -> str:
    if planned.unchanged:
        return "unchanged"
    if planned.kind == "view":
        return "rewritten"
    return "replaces an earlier run's" if planned.exists else "new"


def _contents(app: AppPlan, root: Path) -> list[str]:
    out = []
    for planned in app.files:
        if planned.kind in ("module", "service"):
            out.append(f"  --- {_shown(planned.path, root)} ---")
            out.extend(f"  | {line}" if line else "  |" for line in planned.content.rstrip("\n").split("\n"))
    return out


def _view_changes(app: AppPlan) -> list[str]:
    if not app.view_changes:
        return []
    rewritten = any(f.kind == "view" for f in app.files)
    out = ["  views rewritten:" if rewritten else f"  views to update: {app.injection()}"]
    for change in app.view_changes:
        out.append(f"  - {change.file}:{change.line} {change.view} -> {app.service_name}.{change.method}()")
        out.extend(f"      - {line}" for line in change.before.split("\n") if change.before)
        out.extend(f"      + {line}" for line in change.after.split("\n"))
    return out


def outcome_text(outcome: Outcome) -> list[str]:
    out = [""]
    for step in outcome.steps:
        out.append(f"Verified in a staged copy: {step.name} {'passed' if step.passed else 'FAILED'}")
    if outcome.created:
        out.append("Created:")
        out.extend(f"  {path}" for path in outcome.created)
    if outcome.updated:
        out.append("Changed:")
        out.extend(f"  {path}" for path in outcome.updated)
    if outcome.problems:
        out.append("Problems:")
        out.extend(f"  - {p}" for p in outcome.problems)
    return out
