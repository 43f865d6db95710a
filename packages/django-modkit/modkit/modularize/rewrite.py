"""``--rewrite-views``: the views call the service they receive by injection, instead of the ORM.

Each planned change replaces the statement that used the ORM; the function (or the class-based
view's method) around it gets ``@inject`` as its innermost decorator and a keyword parameter
``<name>_service: <Service> = Provide["<name>.<name>_service"]``. Every name the new code needs
and the file does not bind yet is imported; an import that only the replaced code used goes. The
result must compile and leave no name unbound, or the file is not rewritten and the reason is
given. Whether the pages still answer as before is checked by running them (``staging``).
"""

import ast
import builtins
import re
from dataclasses import dataclass, field
from pathlib import Path

KNOWN = {
    "inject": ("dependency_injector.wiring", "inject"),
    "Provide": ("dependency_injector.wiring", "Provide"),
    "Http404": ("django.http", "Http404"),
}


@dataclass
class Rewritten:
    path: Path
    text: str
    views: list[str] = field(default_factory=list)
    problem: str = ""


@dataclass(order=True)
class _Edit:
    line: int  # 1-based
    order: int  # on one line: text inside it (1) before a line inserted above it (0)
    col: int = 0
    end_line: int = 0
    text: str = field(default="", compare=False)

    def apply(self, lines: list[str]) -> None:
        if self.end_line:
            lines[self.line - 1 : self.end_line] = self.text.split("\n")
        elif self.order == 1:
            row = lines[self.line - 1]
            lines[self.line - 1] = row[: self.col] + self.text + row[self.col :]
        else:
            lines[self.line - 1 : self.line - 1] = self.text.split("\n")


def rewrite_views(app_plan, texts: dict[str, str], root: Path) -> list[Rewritten]:
    """One result per views file with changes; ``texts`` by the path shown in the changes."""
    by_file: dict[str, list] = {}
    for change in app_plan.view_changes:
        by_file.setdefault(change.file, []).append(change)
    return [_rewrite_file(root / shown, texts[shown], changes, app_plan) for shown, changes in by_file.items()]


def _rewrite_file(path: Path, text: str, changes: list, app_plan) -> Rewritten:
    result = Rewritten(path=path, text=text, views=sorted({c.view for c in changes}))
    tree = ast.parse(text)
    spans = sorted((c.line, c.end_line) for c in changes)
    if any(a_end >= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False)):
        result.problem = "two changes in one statement: rewrite it by hand"
        return result
    edits = [_Edit(c.line, 2, end_line=c.end_line, text=c.after) for c in changes]
    for function in _injected_functions(tree, changes):
        edits += _injection(function, app_plan)
    known = dict(KNOWN)
    known[app_plan.service_class] = (app_plan.service_import, app_plan.service_class)
    known[app_plan.layout.not_found[1]] = app_plan.layout.not_found
    known.setdefault("NotFound", app_plan.layout.not_found)  # the service's "no such row", by any name
    for change in changes:
        known.update({name: (module, name) for module, name in getattr(change, "imports", ())})
    lines = text.split("\n")
    for edit in sorted(edits, reverse=True):
        edit.apply(lines)
    new = _complete_imports("\n".join(lines), known, local=app_plan.service_import.split(".")[0])
    new = _drop_unused_imports(text, new)
    new = _wrap_new_lines(text, new)
    result.problem = _unbound(new)
    if not result.problem:
        result.text = new
    return result


def _injected_functions(tree: ast.Module, changes: list) -> list[ast.FunctionDef]:
    """The innermost function around each change, unless the change brings its own method."""
    found = {}
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for change in changes:
        if "@inject" in change.after:
            continue
        around = [f for f in functions if f.lineno <= change.line <= f.end_lineno]
        if around:
            inner = max(around, key=lambda f: f.lineno)
            found[inner.lineno] = inner
    return list(found.values())


def _injection(function: ast.FunctionDef, app_plan) -> list[_Edit]:
    param = f'{app_plan.service_name}: {app_plan.service_class} = Provide["{app_plan.provide}"]'
    args = function.args
    if any(a.arg == app_plan.service_name for a in args.args + args.kwonlyargs):
        return []
    indent = " " * function.col_offset
    edits = []
    if not any(_is_inject(d) for d in function.decorator_list):
        edits.append(_Edit(function.lineno, 0, text=f"{indent}@inject"))
    if args.kwarg is not None:  # before ``**kwargs``
        edits.append(_Edit(args.kwarg.lineno, 1, col=args.kwarg.col_offset - 2, text=f"{param}, "))
        return edits
    anchor = _last_parameter(args)
    if anchor is not None:  # after ``*args`` it is keyword-only, as it should be
        edits.append(_Edit(anchor.end_lineno, 1, col=anchor.end_col_offset, text=f", {param}"))
    return edits


def _last_parameter(args: ast.arguments) -> ast.AST | None:
    nodes = [*args.posonlyargs, *args.args, *args.defaults, *args.kwonlyargs, *filter(None, args.kw_defaults)]
    if args.vararg is not None:
        nodes.append(args.vararg)
    return max(nodes, key=lambda n: (n.end_lineno, n.end_col_offset), default=None)


def _is_inject(decorator: ast.expr) -> bool:
    return (isinstance(decorator, ast.Name) and decorator.id == "inject") or (
        isinstance(decorator, ast.Attribute) and decorator.attr == "inject"
    )


def _bound_names(tree: ast.Module) -> set[str]:
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _free_names(tree: ast.Module) -> set[str]:
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return used - _bound_names(tree)


def _complete_imports(text: str, known: dict[str, tuple[str, str]], local: str) -> str:
    """Import what the new code needs, where the file's own style would put it."""
    missing = sorted(name for name in _free_names(ast.parse(text)) if name in known)
    for name in missing:
        module, imported = known[name]
        text = _add_import(text, module, imported if imported == name else f"{imported} as {name}", local)
    return text


def _add_import(text: str, module: str, name: str, local: str) -> str:
    tree = ast.parse(text)
    lines = text.split("\n")
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    same = next((n for n in imports if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module == module), None)
    if same is not None and same.lineno == same.end_lineno:  # one line: add the name to it
        names = sorted({*(a.name + (f" as {a.asname}" if a.asname else "") for a in same.names), name})
        lines[same.lineno - 1] = f"from {module} import {', '.join(names)}"
        return "\n".join(lines)
    at, group = _import_position(imports, module, tree, local)
    lines[at:at] = [f"from {module} import {name}"] + ([""] if group else [])
    return "\n".join(lines)


def _import_position(imports: list, module: str, tree: ast.Module, local: str) -> tuple[int, bool]:
    """Where the import goes: beside the imports of the same top-level package (or of django, for
    another third-party one), in alphabetical order; the project's own, when it has none there
    yet, as a group of its own before the relative imports (the second value says so)."""
    if not imports:
        return _after_docstring(tree), False
    top = module.split(".")[0]
    absolute = [n for n in imports if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module]
    kin = [n for n in absolute if n.module.split(".")[0] == top]
    if not kin and top != local:  # a third-party package: with Django's imports
        kin = [n for n in absolute if n.module.split(".")[0] == "django"]
    if not kin:  # the project's own: before its relative imports
        relative = [n for n in imports if isinstance(n, ast.ImportFrom) and n.level > 0]
        return (relative[0].lineno - 1, True) if relative else (imports[-1].end_lineno, False)
    before = [n for n in kin if n.module < module]
    return (before[-1].end_lineno if before else kin[0].lineno - 1), False


def _after_docstring(tree: ast.Module) -> int:
    first = tree.body[0] if tree.body else None
    is_doc = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
    return first.end_lineno if is_doc else 0


def _drop_unused_imports(before: str, after: str) -> str:
    """Imports the old code used and the new code does not: the ORM moved to the service."""
    used_before = _used_names(ast.parse(before))
    tree = ast.parse(after)
    used_after = _used_names(tree)
    gone = used_before - used_after
    lines = after.split("\n")
    for node in sorted((n for n in tree.body if isinstance(n, ast.ImportFrom)), key=lambda n: -n.lineno):
        keep = [a for a in node.names if (a.asname or a.name) not in gone]
        if len(keep) == len(node.names):
            continue
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in keep)
        module = "." * node.level + (node.module or "")
        replacement = [f"from {module} import {names}"] if keep else []
        lines[node.lineno - 1 : node.end_lineno] = replacement
    return _tidy_imports("\n".join(lines))


def _tidy_imports(text: str) -> str:
    """Where an import went away, the blank lines around it as isort leaves them: one run of two
    before a definition, of one before other code, never more than two elsewhere."""
    tree = ast.parse(text)
    first = next((n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom | ast.Expr)), None)
    if first is None:
        return text
    start = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))]) - 1
    lines = text.split("\n")
    blank = 2 if isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) else 1
    head = re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines[:start]).rstrip("\n"))
    return head + "\n" * (blank + 1) + "\n".join(lines[start:])


def _used_names(tree: ast.Module) -> set[str]:
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    return names


def _wrap_new_lines(before: str, after: str) -> str:
    """Lines the rewrite made longer than the file's own longest (88 at least) are split at their
    first bracket, one argument per line, as black would."""
    old = before.split("\n")
    width = max(88, *(len(line) for line in old))
    kept = set(old)
    out = []
    for line in after.split("\n"):
        out += _explode(line) if len(line) > width and line not in kept else [line]
    return "\n".join(out)


def _explode(line: str) -> list[str]:
    indent = line[: len(line) - len(line.lstrip())]
    opening, closing, parts = _bracket_parts(line)
    if opening is None or not parts:
        return [line]
    return [line[: opening + 1], *(f"{indent}    {part}," for part in parts), indent + line[closing:]]


def _bracket_parts(line: str) -> tuple[int | None, int, list[str]]:
    """The first top-level ``(``, its matching ``)``, and the comma-separated parts between them."""
    depth, quote, opening, start, parts = 0, "", None, 0, []
    for at, char in enumerate(line):
        if quote:
            quote = "" if char == quote and line[at - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
            if depth == 1 and char == "(" and opening is None:
                opening, start = at, at + 1
        elif char in ")]}":
            depth -= 1
            if depth == 0 and opening is not None:
                parts.append(line[start:at].strip())
                return opening, at, [p for p in parts if p]
        elif char == "," and depth == 1 and opening is not None:
            parts.append(line[start:at].strip())
            start = at + 1
    return None, 0, []


def _unbound(text: str) -> str:
    try:
        tree = ast.parse(text)
        compile(tree, "<rewritten>", "exec")
    except SyntaxError as exc:
        return f"the rewritten file does not compile: {exc}"
    free = sorted(_free_names(tree))
    return f"names left unbound after the rewrite: {', '.join(free)}" if free else ""
