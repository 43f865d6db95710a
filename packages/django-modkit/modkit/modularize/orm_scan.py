"""Direct model use in views, found by reading the code with ``ast`` (views are never run).

Found: manager chains (``Order.objects.filter(...).count()``, custom managers too),
``get_object_or_404`` / ``get_list_or_404``, ``.save()`` / ``.delete()`` on variables known to
hold a model instance (from ``Model(...)``, ``.get()``, ``.create()``, ``get_object_or_404``, a
``for`` over a queryset, ``form.save(commit=False)``), a ModelForm's ``form.save()``, and writes
through an instance's related managers (``order.lines.create(...)``, ``.add()``...).

What a name stands for is asked of a :class:`Resolver` (the Django one looks in the app
registry); this module itself knows nothing of Django.
"""

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from modkit.modularize.source import Import, module_level_imports

WRITE_METHODS = {
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
}
READ_TERMINALS = {
    "get": "get",
    "first": "first",
    "last": "last",
    "earliest": "earliest",
    "latest": "latest",
    "count": "count",
    "exists": "exists",
    "aggregate": "aggregate",
    "in_bulk": "in_bulk",
}
VALUES_METHODS = {"values", "values_list"}
RELATED_WRITES = {"create", "add", "remove", "set", "clear"}
SHORTCUTS = {"get_object_or_404": "get", "get_list_or_404": "list"}
INSTANCE_OPERATIONS = {
    "get",
    "first",
    "last",
    "earliest",
    "latest",
    "create",
    "get_or_create",
    "update_or_create",
}
WRITE_OPERATIONS = WRITE_METHODS | {"save", "form_create", "form_update"} | {f"related_{m}" for m in RELATED_WRITES}


@dataclass(frozen=True)
class ModelRef:
    label: str  # "shop.Order"
    name: str  # "Order"
    module: str  # where the class is importable from: "shop.models"
    managers: tuple[str, ...] = ("objects",)
    default_manager: str = "objects"
    verbose_name: str = ""
    # related manager attribute -> model label
    related: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def spoken(self) -> str:
        return self.verbose_name or self.name.lower()


@dataclass(frozen=True)
class FormRef:
    name: str
    module: str
    model: ModelRef
    fields: tuple[str, ...] = ()
    many_to_many: tuple[str, ...] = ()


class Resolver(Protocol):
    def model(self, dotted: str) -> ModelRef | None: ...

    def form(self, dotted: str) -> FormRef | None: ...

    def user_model(self) -> ModelRef | None: ...

    def by_label(self, label: str) -> ModelRef | None: ...


@dataclass
class OrmUse:
    """One direct use of the ORM in a view, and what is needed to move it into a service."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    view: str
    operation: str
    model: ModelRef | None
    code: str
    via: str  # manager | shortcut | instance | related | form
    # What the code generator needs (not part of the report):
    expr: ast.AST = field(repr=False)
    statement: ast.stmt = field(repr=False)
    function: ast.AST | None = field(repr=False, default=None)
    receiver: str | None = None  # the instance variable a save/delete/related write acts on
    moved: list[ast.stmt] = field(default_factory=list, repr=False)  # ``order.x = ...`` before a save
    related_attr: str | None = None
    related_model: ModelRef | None = None
    form: FormRef | None = None
    form_instance: ast.AST | None = field(default=None, repr=False)
    form_variable: str | None = None
    new_instance: bool = False  # the saved instance was built in the view, never saved before
    instances: dict[str, ModelRef] = field(default_factory=dict, repr=False)  # known at this point

    @property
    def kind(self) -> str:
        return "write" if self.operation in WRITE_OPERATIONS else "read"

    @property
    def first_line(self) -> int:
        return self.moved[0].lineno if self.moved else self.statement.lineno

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "view": self.view,
            "operation": self.operation,
            "kind": self.kind,
            "model": self.model.label if self.model else None,
            "code": self.code,
        }

    def __str__(self) -> str:
        model = f" on {self.model.label}" if self.model else ""
        return f"{self.file}:{self.line} {self.view}: {self.operation}{model} ({self.kind}): {self.code}"


def dotted_name(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _targets(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from _targets(elt)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def function_locals(function: ast.AST) -> set[str]:
    """Parameters and every name the function assigns (any depth)."""
    names: set[str] = set()
    args = function.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None:
            names.add(arg.arg)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


class _Scope:
    """What is known inside one view: which variables hold model instances or model forms."""

    def __init__(self, function: ast.AST | None):
        self.function = function
        self.locals = function_locals(function) if function is not None else set()
        self.instances: dict[str, ModelRef] = {}
        self.unsaved: set[str] = set()  # built with Model(...) or form.save(commit=False)
        self.forms: dict[str, tuple[FormRef, ast.AST | None]] = {}


class ViewScanner:
    def __init__(
        self,
        *,
        resolver: Resolver,
        text: str,
        tree: ast.Module,
        module_name: str,
        is_package: bool,
        file: str,
    ):
        self.resolver = resolver
        self.text = text
        self.tree = tree
        self.file = file
        self.imports: dict[str, Import] = module_level_imports(tree, module_name, is_package, text)
        self.model_aliases: dict[str, ModelRef] = {}
        self.shortcuts = {local: SHORTCUTS[imp.attr] for local, imp in self.imports.items() if imp.attr in SHORTCUTS}
        for name in SHORTCUTS:
            self.shortcuts.setdefault(name, SHORTCUTS[name])
        self.uses: list[OrmUse] = []
        self._by_expr: dict[int, OrmUse] = {}
        self._covered: set[int] = set()
        self._find_model_aliases()

    # what names stand for
    def _find_model_aliases(self) -> None:
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                model = self._user_model_call(node.value)
                if model is not None:
                    self.model_aliases[node.targets[0].id] = model

    def _user_model_call(self, node: ast.AST) -> ModelRef | None:
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            name = dotted_name(node.func)
            if name and name.split(".")[-1] == "get_user_model":
                return self.resolver.user_model()
        return None

    def _dotted_target(self, node: ast.AST) -> str | None:
        name = dotted_name(node)
        if not name:
            return None
        root, _, rest = name.partition(".")
        imp = self.imports.get(root)
        if imp is None:
            return None
        return f"{imp.target}.{rest}" if rest else imp.target

    def model_of(self, node: ast.AST) -> ModelRef | None:
        model = self._user_model_call(node)
        if model is not None:
            return model
        if isinstance(node, ast.Name) and node.id in self.model_aliases:
            return self.model_aliases[node.id]
        target = self._dotted_target(node)
        return self.resolver.model(target) if target else None

    def form_of(self, node: ast.AST) -> FormRef | None:
        target = self._dotted_target(node)
        return self.resolver.form(target) if target else None

    # walking
    def scan(self) -> list[OrmUse]:
        self._block(self.tree.body, _Scope(None), "<module>")
        return sorted(self.uses, key=lambda u: (u.line, u.col))

    def _block(self, statements: list[ast.stmt], scope: _Scope, view: str) -> None:
        for index, statement in enumerate(statements):
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                name = statement.name if view == "<module>" else f"{view}.{statement.name}"
                self._block(statement.body, _Scope(statement), name)
                continue
            if isinstance(statement, ast.ClassDef):
                if view == "<module>":
                    self._block(statement.body, _Scope(None), statement.name)
                continue
            if isinstance(statement, ast.Import | ast.ImportFrom):
                continue
            self._statement(statement, statements, index, scope, view)
            self._bind(statement, scope)
            for child in self._child_blocks(statement):
                self._block(child, scope, view)

    @staticmethod
    def _child_blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
        for name in ("body", "orelse", "finalbody"):
            value = getattr(statement, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield value
        for handler in getattr(statement, "handlers", []) or []:
            yield handler.body
        for case in getattr(statement, "cases", []) or []:
            yield case.body

    @staticmethod
    def _own_expressions(statement: ast.stmt) -> Iterator[ast.AST]:
        """The statement's expressions, not those of the statements nested in it."""
        for name, value in ast.iter_fields(statement):
            if name in ("body", "orelse", "finalbody", "handlers", "cases"):
                continue
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, ast.AST):
                    yield item

    def _statement(self, statement, block, index, scope, view) -> None:
        for root in self._own_expressions(statement):
            self._visit(root, statement, block, index, scope, view, parents=[])

    def _visit(self, node, statement, block, index, scope, view, parents) -> None:
        if id(node) in self._covered:
            return
        if self._detect(node, statement, block, index, scope, view, parents):
            return
        for child in ast.iter_child_nodes(node):
            self._visit(child, statement, block, index, scope, view, parents + [node])

    # detection
    def _detect(self, node, statement, block, index, scope, view, parents) -> bool:
        if isinstance(node, ast.Call):
            if self._shortcut(node, statement, scope, view):
                return True
            if self._instance_write(node, statement, block, index, scope, view):
                return True
        if isinstance(node, ast.Attribute):
            model = self.model_of(node.value)
            if model is not None and node.attr in model.managers:
                self._manager_chain(node, model, statement, scope, view, parents)
                return True
        return False

    def _record(self, expr, operation, model, statement, scope, view, via, **extra) -> OrmUse:
        use = OrmUse(
            file=self.file,
            line=expr.lineno,
            col=expr.col_offset,
            end_line=expr.end_lineno,
            end_col=expr.end_col_offset,
            view=view,
            operation=operation,
            model=model,
            code=ast.get_source_segment(self.text, expr) or ast.unparse(expr),
            via=via,
            expr=expr,
            statement=statement,
            function=scope.function,
            instances=dict(scope.instances),
            **extra,
        )
        self.uses.append(use)
        self._by_expr[id(expr)] = use
        for root in [expr, *use.moved]:
            self._covered.update(id(n) for n in _nodes(root))
        return use

    def _manager_chain(self, manager, model, statement, scope, view, parents) -> None:
        outer: ast.AST = manager
        methods: list[str] = []
        indexed = False
        for parent in reversed(parents):
            if isinstance(parent, ast.Attribute) and parent.value is outer:
                outer = parent
            elif isinstance(parent, ast.Call) and parent.func is outer:
                methods.append(outer.attr if isinstance(outer, ast.Attribute) else "")
                outer = parent
            elif isinstance(parent, ast.Subscript) and parent.value is outer:
                indexed = not isinstance(parent.slice, ast.Slice)
                outer = parent
            else:
                break
        self._record(outer, chain_operation(methods, indexed), model, statement, scope, view, "manager")

    def _shortcut(self, call, statement, scope, view) -> bool:
        name = call.func.id if isinstance(call.func, ast.Name) else None
        if name not in self.shortcuts or not call.args:
            return False
        first = call.args[0]
        model = self.model_of(first) or self._chain_model(first)
        if model is None:
            return False
        self._record(call, self.shortcuts[name] + "_or_404", model, statement, scope, view, "shortcut")
        return True

    def _chain_model(self, node: ast.AST) -> ModelRef | None:
        """The model of a queryset expression such as ``Order.objects.filter(...)``."""
        while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
            if isinstance(node, ast.Attribute):
                model = self.model_of(node.value)
                if model is not None and node.attr in model.managers:
                    return model
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            else:
                node = node.value
        return None

    def _instance_write(self, call, statement, block, index, scope, view) -> bool:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return False
        receiver = func.value
        if isinstance(receiver, ast.Name):
            var = receiver.id
            if func.attr in ("save", "delete") and var in scope.instances:
                model = scope.instances[var]
                moved = self._moved_assignments(var, call, statement, block, index) if func.attr == "save" else []
                self._record(
                    call,
                    func.attr,
                    model,
                    statement,
                    scope,
                    view,
                    "instance",
                    receiver=var,
                    moved=moved,
                    new_instance=var in scope.unsaved,
                )
                scope.unsaved.discard(var)
                return True
            if func.attr == "save" and var in scope.forms and not _commit_false(call):
                form, instance = scope.forms[var]
                operation = "form_update" if instance is not None else "form_create"
                self._record(
                    call,
                    operation,
                    form.model,
                    statement,
                    scope,
                    view,
                    "form",
                    form=form,
                    form_instance=instance,
                    form_variable=var,
                )
                return True
        if (
            isinstance(receiver, ast.Attribute)
            and isinstance(receiver.value, ast.Name)
            and receiver.value.id in scope.instances
            and func.attr in RELATED_WRITES
        ):
            owner = scope.instances[receiver.value.id]
            related_label = owner.related.get(receiver.attr)
            if related_label is None and owner.related:
                return False  # not a related manager of that model: something else
            related = self.resolver.by_label(related_label) if related_label else None
            self._record(
                call,
                f"related_{func.attr}",
                owner,
                statement,
                scope,
                view,
                "related",
                receiver=receiver.value.id,
                related_attr=receiver.attr,
                related_model=related,
            )
            return True
        return False

    def _moved_assignments(self, var, call, statement, block, index) -> list[ast.stmt]:
        """``order.status = ...`` lines right before ``order.save()`` travel with it."""
        if not (isinstance(statement, ast.Expr) and statement.value is call and block is not None):
            return []
        moved: list[ast.stmt] = []
        for previous in reversed(block[:index]):
            target = None
            if isinstance(previous, ast.Assign) and len(previous.targets) == 1:
                target = previous.targets[0]
            elif isinstance(previous, ast.AugAssign | ast.AnnAssign):
                target = previous.target
            if not (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == var
                and not any(id(n) in self._covered for n in _nodes(previous))
            ):
                break
            moved.insert(0, previous)
        return moved

    # what variables hold, after a statement
    def _bind(self, statement: ast.stmt, scope: _Scope) -> None:
        if isinstance(statement, ast.Assign):
            value = statement.value
            for target in statement.targets:
                names = list(_targets(target))
                for name in names:
                    scope.instances.pop(name, None)
                    scope.forms.pop(name, None)
                    scope.unsaved.discard(name)
                if isinstance(target, ast.Name):
                    self._bind_value(target.id, value, scope)
                elif isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[0], ast.Name):
                    use = self._by_expr.get(id(value))
                    if use and use.operation in ("get_or_create", "update_or_create") and use.model:
                        scope.instances[target.elts[0].id] = use.model
        elif isinstance(statement, ast.For | ast.AsyncFor) and isinstance(statement.target, ast.Name):
            use = self._by_expr.get(id(statement.iter))
            if use and use.model and use.operation in ("list", "list_or_404"):
                scope.instances[statement.target.id] = use.model

    def _bind_value(self, name: str, value: ast.AST, scope: _Scope) -> None:
        use = self._by_expr.get(id(value))
        if (
            use is not None
            and use.model is not None
            and (use.operation in INSTANCE_OPERATIONS or use.operation in ("get_or_404", "form_create", "form_update"))
        ):
            scope.instances[name] = use.model
            return
        if isinstance(value, ast.Name) and value.id in scope.instances:
            scope.instances[name] = scope.instances[value.id]
            return
        if not isinstance(value, ast.Call):
            return
        model = self.model_of(value.func)
        if model is not None:
            scope.instances[name] = model
            scope.unsaved.add(name)
            return
        form = self.form_of(value.func)
        if form is not None:
            instance = next((k.value for k in value.keywords if k.arg == "instance"), None)
            scope.forms[name] = (form, instance)
            return
        func = value.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "save"
            and isinstance(func.value, ast.Name)
            and func.value.id in scope.forms
            and _commit_false(value)
        ):
            scope.instances[name] = scope.forms[func.value.id][0].model
            scope.unsaved.add(name)


def _nodes(root: ast.AST) -> Iterator[ast.AST]:
    """The nodes under ``root``, without the ``Load``/``Store`` singletons every tree shares."""
    return (n for n in ast.walk(root) if not isinstance(n, ast.expr_context))


def _commit_false(call: ast.Call) -> bool:
    return any(
        k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords
    )


def chain_operation(methods: list[str], indexed: bool = False) -> str:
    """What a manager chain does, from the methods called on it in order."""
    writes = [m for m in methods if m in WRITE_METHODS]
    if writes:
        return writes[-1]
    if methods and methods[-1] in READ_TERMINALS:
        return READ_TERMINALS[methods[-1]]
    if indexed:
        return "first"
    if any(m in VALUES_METHODS for m in methods):
        return "values"
    return "list"


def scan_views(
    *, file: Path, text: str, tree: ast.Module, module_name: str, resolver: Resolver, shown_as: str
) -> list[OrmUse]:
    scanner = ViewScanner(
        resolver=resolver,
        text=text,
        tree=tree,
        module_name=module_name,
        is_package=file.name == "__init__.py",
        file=shown_as,
    )
    return scanner.scan()
