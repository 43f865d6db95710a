"""The rules an app holds outside its ORM calls, flagged with their place: the migration does not move them.

- ``rule``: a business rule. In a form or model, a ``clean()`` / ``clean_<field>()`` that raises
  ``ValidationError`` under a condition (``data > datetime.date.today() +
  datetime.timedelta(weeks=4)``); in a view, a condition checked before the work is done (an
  ``if`` that raises or returns early, an ``if`` on ``request.user``, an ``except`` around a
  use that turns an error into an answer: ``except RestrictedError``).
- ``access``: who may run a view (``LoginRequiredMixin``, ``PermissionRequiredMixin``,
  ``@login_required``, ``@permission_required``); it stays in the view.
- ``form`` / ``model``: a form's ``save()`` or a model method that writes (the service calls it).
- ``signal``: a receiver (``@receiver`` in any module, ``signal.connect(...)``, the imports of
  ``AppConfig.ready()``) and the writes it does; receivers are not moved.
- ``context``: a context processor that queries the database on every page.

``find_rules(app, root, scanners=...)`` reads the app's files; ``rules_text(rules)`` gives the
lines the dry run prints (``rule      catalog/forms.py:17 RenewBookForm.clean_renewal_date: ...``).
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from modkit.modularize.cbv_scan import decorator_access
from modkit.modularize.orm_facts import WRITE_CALLS as MODEL_WRITES
from modkit.modularize.orm_facts import dotted_name

WRITE_CALLS = MODEL_WRITES | {"save_m2m"}
QUERY_CALLS = {"filter", "exclude", "get", "all", "count", "exists", "aggregate", "values", "values_list", "first"}
PLUMBING = ("request.method", ".is_valid(", ".errors", "is_ajax", "request.POST", "request.GET")
RAISES_REFUSAL = {"PermissionDenied", "Http404", "ValidationError", "SuspiciousOperation", "BadRequest"}
KIND_WIDTH = 9


@dataclass(frozen=True)
class Rule:
    file: str
    line: int
    where: str  # ``RenewBookForm.clean_renewal_date``, ``AuthorDelete``, ``create_user_profile``
    text: str
    kind: str = "rule"  # rule | access | form | model | signal | context

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return f"{self.kind:<{KIND_WIDTH}} {self.file}:{self.line} {self.where}: {self.text}"


def rules_text(rules: list[Rule], indent: str = "  ") -> list[str]:
    """One line per rule, as ``report.py`` prints the plan's other facts."""
    return [f"{indent}{rule}" for rule in rules]


# reading a file
class _File:
    def __init__(self, tree: ast.Module, text: str, shown: str):
        self.tree, self.text, self.shown = tree, text, shown

    def code(self, node: ast.AST, limit: int = 90) -> str:
        found = " ".join((ast.get_source_segment(self.text, node) or ast.unparse(node)).split())
        return found if len(found) <= limit else found[: limit - 1] + "…"

    def rule(self, node: ast.AST, where: str, text: str, kind: str = "rule") -> Rule:
        return Rule(self.shown, node.lineno, where, text, kind)


def _functions(tree: ast.Module):
    """(qualified name, function) for the module's functions and its classes' methods."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item


def _message(node: ast.AST | None) -> str:
    """The sentence an exception or an answer carries: ``ValidationError(_("Invalid date"))`` -> ``Invalid date``."""
    strings = [
        c.value
        for c in (ast.walk(node) if node is not None else ())
        if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.strip()
    ]
    return next((s for s in strings if " " in s.strip()), strings[0] if strings else "")


def _calls(node: ast.AST, names: set[str]) -> list[ast.Call]:
    return [
        c
        for c in ast.walk(node)
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in names
    ]


def _short(call: ast.Call) -> str:
    """``Profile.objects.filter(...).update`` -> ``Profile.objects…update``."""
    name = dotted_name(call.func)
    if name:
        return name
    root = call.func
    while isinstance(root, ast.Attribute | ast.Call | ast.Subscript):
        root = root.func if isinstance(root, ast.Call) else root.value
    if isinstance(call.func.value, ast.Call) and getattr(call.func.value.func, "id", None) == "super":
        return f"super().{call.func.attr}"
    start = dotted_name(root) or ast.unparse(root)
    return f"{start}…{call.func.attr}"


def _writes(node: ast.AST) -> list[str]:
    return list(dict.fromkeys(_short(c) for c in _calls(node, WRITE_CALLS)))


# business rules in forms and models: clean methods that raise ValidationError
def clean_rules(file: _File) -> list[Rule]:
    found = []
    for where, function in _functions(file.tree):
        name = where.rpartition(".")[2]
        if "." in where and (name == "clean" or name.startswith("clean_") or name.startswith("validate")):
            found += _validation_rules(file, where, function)
    return found


def _validation_rules(file: _File, where: str, function: ast.AST) -> list[Rule]:
    found = []
    queries = _calls(function, QUERY_CALLS)
    for node in ast.walk(function):
        if isinstance(node, ast.If) and _raises(node.body):
            raised = next(s for s in node.body if isinstance(s, ast.Raise))
            text = f"{_message(raised.exc) or 'refused'} (when {file.code(node.test)})"
            if any(_inside(q, node.test) for q in queries):
                text += "; it queries the database"
            found.append(file.rule(node, where, text + ": stays in the form"))
    return found


def _raises(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Raise) for s in body)


def _inside(node: ast.AST, tree: ast.AST) -> bool:
    return any(n is node for n in ast.walk(tree))


# writes outside the views: a form's save(), model methods, signal receivers, context processors
def write_rules(file: _File) -> list[Rule]:
    found = []
    for where, function in _functions(file.tree):
        writes = _writes(function)
        owner, _, name = where.rpartition(".")
        if not writes or not owner or name.startswith("__"):
            continue
        if name == "save" and _form_like(file.tree, owner):
            text = f"writes {', '.join(writes)}; the service calls form.save() in its transaction"
            found.append(file.rule(function, where, text, "form"))
        elif _model_like(file.tree, owner) and name not in ("save", "delete"):
            found.append(file.rule(function, where, f"writes {', '.join(writes)}; the service calls it", "model"))
    return found


def _bases(tree: ast.Module, name: str) -> list[str]:
    node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    return [dotted_name(b) or "" for b in node.bases] if node is not None else []


def _form_like(tree: ast.Module, name: str) -> bool:
    return any(b.endswith(("Form", "ModelForm")) for b in _bases(tree, name))


def _model_like(tree: ast.Module, name: str) -> bool:
    return any(b.endswith("Model") for b in _bases(tree, name))


def signal_rules(file: _File) -> list[Rule]:
    found = []
    for where, function in _functions(file.tree):
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call) and (dotted_name(decorator.func) or "").endswith("receiver"):
                found.append(_receiver(file, where, function, decorator))
        if where.endswith(".ready"):
            found += _ready(file, where, function)
    for call in _calls(file.tree, {"connect"}):
        if call.args:
            text = f"connects {file.code(call.args[0])} to {file.code(call.func.value)}{_sender(call)}"
            found.append(file.rule(call, _enclosing(file.tree, call), text, "signal"))
    return found


def _sender(call: ast.Call) -> str:
    sender = next((k.value for k in call.keywords if k.arg == "sender"), None)
    return f" (sender {ast.unparse(sender)})" if sender is not None else ""


def _receiver(file: _File, where: str, function: ast.AST, decorator: ast.Call) -> Rule:
    signal = ast.unparse(decorator.args[0]) if decorator.args else "a signal"
    writes = _writes(function)
    does = f"writes {', '.join(writes)}" if writes else "writes nothing"
    text = f"receiver of {signal}{_sender(decorator)}: {does}; stays a receiver, not moved"
    return file.rule(function, where, text, "signal")


def _ready(file: _File, where: str, function: ast.AST) -> list[Rule]:
    """``from . import signals`` in ``AppConfig.ready()`` connects that module's receivers."""
    found = []
    for node in ast.walk(function):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = ", ".join(a.name for a in node.names)
            module = f"{'.' * getattr(node, 'level', 0)}{getattr(node, 'module', None) or ''}"
            what = f"{module}{'' if module.endswith('.') else '.'}{names}" if module else names
            found.append(file.rule(node, where, f"imports {what}: connects its receivers at startup", "signal"))
    return found


def _enclosing(tree: ast.Module, node: ast.AST) -> str:
    for where, function in _functions(tree):
        if _inside(node, function):
            return where
    return "<module>"


def context_rules(file: _File) -> list[Rule]:
    found = []
    for where, function in _functions(file.tree):
        queries = _calls(function, QUERY_CALLS)
        if queries:
            text = f"queries the database on every page ({file.code(queries[0])}); not moved"
            found.append(file.rule(function, where, text, "context"))
    return found


# rules in views
def view_rules(scanner) -> list[Rule]:
    """Access rules and the conditions views check before doing the work (``scanner``: a ViewScanner)."""
    file = _File(scanner.tree, scanner.text, scanner.file)
    found = _access_rules(file, scanner)
    for where, function in _functions(scanner.tree):
        for node in ast.walk(function):
            if isinstance(node, ast.If):
                found += _view_condition(file, where, node)
            elif isinstance(node, ast.Try):
                found += _handled(file, where, node, scanner)
    return sorted(found, key=lambda r: r.line)


def _access_rules(file: _File, scanner) -> list[Rule]:
    found = []
    for node in scanner.tree.body:
        access = None
        if isinstance(node, ast.ClassDef) and node.name in scanner.view_classes:
            access = scanner.view_classes[node.name].access
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            access = decorator_access(node, scanner)
        if access is not None and (access.login_required or access.permission_required):
            parts = (["login required"] if access.login_required else []) + [
                f"permission {p}" for p in access.permission_required
            ]
            found.append(file.rule(node, node.name, f"{', '.join(parts)}: stays in the view", "access"))
    return found


def _view_condition(file: _File, where: str, node: ast.If) -> list[Rule]:
    test = file.code(node.test)
    if any(p in test for p in PLUMBING):
        return []
    if _raises(node.body) or _refuses(node.body):
        outcome = next((s for s in node.body if isinstance(s, ast.Raise | ast.Return)), node.body[0])
        told = _message(outcome) or file.code(outcome, 60)
        return [file.rule(node, where, f"checks {test} before the work ({told}): stays in the view")]
    if "request.user" in test:
        text = f"when {test}: {file.code(node.body[0], 60)}: an access rule on the data, stays in the view"
        return [file.rule(node, where, text)]
    return []


def _refuses(body: list[ast.stmt]) -> bool:
    """An early ``return`` of an error answer (``HttpResponseForbidden``, a ``status=4xx``)."""
    for statement in body:
        if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Call):
            name = dotted_name(statement.value.func) or ""
            status = [k for k in statement.value.keywords if k.arg == "status"]
            if name.startswith("HttpResponse") and name != "HttpResponseRedirect" or status:
                return True
    return False


def _handled(file: _File, where: str, node: ast.Try, scanner) -> list[Rule]:
    """``except RestrictedError`` around a use: the view turns a refusal into an answer."""
    inside = [u for u in scanner.uses if node.lineno <= u.line <= node.body[-1].end_lineno]
    if not inside:
        return []
    found = []
    for handler in node.handlers:
        if handler.type is None:
            continue
        caught = file.code(handler.type)
        told = _message(ast.Module(body=handler.body, type_ignores=[]))
        does = ", ".join(sorted({f"{u.operation} {u.model.name}" for u in inside if u.model}))
        text = f"{caught} from {does} is answered in the view" + (f" ({told})" if told else "")
        found.append(file.rule(handler, where, text))
    return found


# an app
def find_rules(app, root: Path, scanners: dict) -> list[Rule]:
    """Every rule of ``app`` (a :class:`~modkit.modularize.discovery.LocalApp`): in its views
    (``scanners``, the views' scanners already run: ``AppReport.scanners``) and its other files."""
    from modkit.modularize.source import parse

    views = {str(f) for f in app.views_files()}
    found: list[Rule] = []
    for path in app.python_files():
        if str(path) in views:
            continue
        try:
            tree, text = parse(path)
        except (SyntaxError, UnicodeDecodeError):
            continue
        found += file_rules(_File(tree, text, app.relative(path, root)), path.name)
    for scanner in scanners.values():
        found += view_rules(scanner)
    return sorted(set(found), key=lambda r: (r.file, r.line, r.kind))


def file_rules(file: _File, name: str) -> list[Rule]:
    found = clean_rules(file) + write_rules(file) + signal_rules(file)
    if name == "context_processors.py":
        found += context_rules(file)
    return found


def rules_of_source(text: str, shown: str = "<source>") -> list[Rule]:
    """The rules of one file's source that are not a view's (forms, models, signals): for tests."""
    name = Path(shown).name
    return file_rules(_File(ast.parse(text), text, shown), name)
