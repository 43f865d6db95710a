"""Direct model use in views, found by reading the code with ``ast`` (views are never run).

Found in function views and in the methods of class-based views:

- manager chains (``Order.objects.filter(...).count()``, custom managers and their querysets too);
- ``get_object_or_404`` / ``get_list_or_404``;
- ``.save()`` / ``.delete()`` on a variable known to hold a model instance (from ``Model(...)``,
  ``.get()``, ``.create()``, ``get_object_or_404``, a ``for`` over a queryset,
  ``form.save(commit=False)``), or on ``self.object`` in a single-object generic view; the
  ``order.x = ...`` lines right before a save and the writes on the same instance right after it
  (``bookmark.set_tags(...)``, ``post.tags.add(...)``, ``form.save_m2m()``) travel with it;
- a ModelForm's ``form.save()`` (also ``super().form_valid(form)`` in a create/update view);
- reads and writes through an instance's related managers (``question.choice_set.get(...)``,
  ``order.lines.create(...)``);
- model methods that write, called on an instance (``notification.mark_as_read()``).

Generic class-based views (:mod:`modkit.modularize.cbv_scan`) add the access Django does for
them: ``model = Book`` on a ListView is a list of books, on a DetailView/UpdateView/DeleteView a
book by pk or slug, a CreateView/UpdateView saves its form, a DeleteView deletes. Those uses are
``implicit`` and name, in ``change``, the method the view gets to call the service instead.

``OrmUse.operation`` is one of

- reads: ``list``, ``values``, ``get``, ``first``, ``last``, ``latest``, ``earliest``, ``count``,
  ``exists``, ``aggregate``, ``in_bulk``, ``get_or_404``, ``list_or_404``;
- writes: ``create``, ``get_or_create``, ``update_or_create``, ``bulk_create``, ``bulk_update``,
  ``update``, ``delete``, ``save``, ``form_create``, ``form_update``, ``related_create``,
  ``related_add``, ``related_remove``, ``related_set``, ``related_clear``, and two kinds of
  their own:
- ``form_save``: a ModelForm whose class overrides ``save()`` is saved; the service receives the
  bound form and calls ``form.save()`` in a transaction (the form's own writes stay in the form);
- ``model_method``: a model method that writes is called on an instance; the service calls it.

``via`` says what the use acts through: ``manager``, ``shortcut``, ``instance``, ``related``,
``form`` or ``method``.

What a name stands for is asked of a :class:`Resolver` (the Django one looks in the app
registry); this module itself knows nothing of Django.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from modkit.modularize.cbv_scan import (
    add_implicit_uses,
    decorator_access,
    method_scope,
    read_class,
    super_access,
    super_form_valid,
)
from modkit.modularize.orm_facts import (
    INSTANCE_OPERATIONS,
    RELATED_WRITES,
    SHORTCUTS,
    WRITE_OPERATIONS,
    Access,
    FormRef,
    ModelRef,
    Place,
    chain_operation,
    chain_outer,
    dotted_name,
    form_operation,
    func_attr,
)
from modkit.modularize.source import Import, module_level_imports


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
    via: str  # manager | shortcut | instance | related | form | method
    # What the code generator needs (not part of the report):
    expr: ast.AST = field(repr=False)
    statement: ast.stmt = field(repr=False)
    function: ast.AST | None = field(repr=False, default=None)
    receiver: str | None = None  # the instance (``order``, ``self.object``) a write acts on
    moved: list[ast.stmt] = field(default_factory=list, repr=False)  # ``order.x = ...`` before a save
    then: list[ast.stmt] = field(default_factory=list, repr=False)  # writes on the instance after it
    related_attr: str | None = None
    related_model: ModelRef | None = None
    form: FormRef | None = None
    form_instance: ast.AST | None = field(default=None, repr=False)
    form_variable: str | None = None
    new_instance: bool = False  # the saved instance was built in the view, never saved before
    instances: dict[str, ModelRef] = field(default_factory=dict, repr=False)  # known at this point
    # Class-based views and access rules:
    generic: str = ""  # the generic view the class is ("ListView"...), "" for a function view
    implicit: bool = False  # done by the generic view itself: no line of the view does it
    change: str = ""  # how the view changes, see ``modkit.modularize.view_changes``
    anchor: ast.ClassDef | None = field(default=None, repr=False)  # the class an implicit use's method joins
    paginate_by: object = None
    login_required: bool = False
    permission_required: tuple[str, ...] = ()
    writes: int = 1  # writes the moved code does (model methods: as many as they do)

    @property
    def kind(self) -> str:
        return "write" if self.operation in WRITE_OPERATIONS else "read"

    @property
    def first_line(self) -> int:
        return self.moved[0].lineno if self.moved else self.statement.lineno

    @property
    def last_line(self) -> int:
        return self.then[-1].end_lineno if self.then else self.statement.end_lineno

    @property
    def access(self) -> str:
        """The view's access rule, which stays in the view: ``login``, ``permission a.b``."""
        parts = (["login"] if self.login_required else []) + [f"permission {p}" for p in self.permission_required]
        return ", ".join(parts)

    def as_dict(self) -> dict:
        found = {
            "file": self.file,
            "line": self.line,
            "view": self.view,
            "operation": self.operation,
            "kind": self.kind,
            "model": self.model.label if self.model else None,
            "code": self.code,
        }
        if self.generic:
            found["generic"] = self.generic
            found["implicit"] = self.implicit
            if self.paginate_by:
                found["paginate_by"] = self.paginate_by
        if self.login_required or self.permission_required:
            found["login_required"] = self.login_required
            found["permission_required"] = list(self.permission_required)
        return found

    def __str__(self) -> str:
        model = f" on {self.model.label}" if self.model else ""
        return f"{self.file}:{self.line} {self.view}: {self.operation}{model} ({self.kind}): {self.code}"


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

    def __init__(self, function: ast.AST | None, *, view_class=None, access: Access | None = None):
        self.function = function
        self.locals = function_locals(function) if function is not None else set()
        self.instances: dict[str, ModelRef] = {}  # variable or ``self.object`` -> model
        self.unsaved: set[str] = set()  # built with Model(...) or form.save(commit=False)
        self.forms: dict[str, tuple[FormRef, ast.AST | None]] = {}
        self.form_of: dict[str, str] = {}  # instance variable -> the form variable that built it
        self.view_class = view_class  # cbv_scan.ViewClass of the method's class, if any
        self.access = access or Access()


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
        self.view_classes: dict[str, object] = {}  # class name -> cbv_scan.ViewClass
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

    def dotted_target(self, node: ast.AST) -> str | None:
        """What a (dotted) name of the file stands for, through its imports: ``django.views.generic.ListView``."""
        name = dotted_name(node)
        if not name:
            return None
        root, _, rest = name.partition(".")
        imp = self.imports.get(root)
        if imp is None:
            return None
        return f"{imp.target}.{rest}" if rest else imp.target

    _dotted_target = dotted_target

    def model_of(self, node: ast.AST) -> ModelRef | None:
        model = self._user_model_call(node)
        if model is not None:
            return model
        if isinstance(node, ast.Name) and node.id in self.model_aliases:
            return self.model_aliases[node.id]
        target = self.dotted_target(node)
        return self.resolver.model(target) if target else None

    def form_of(self, node: ast.AST) -> FormRef | None:
        target = self.dotted_target(node)
        return self.resolver.form(target) if target else None

    def model_by_label(self, label: str | None) -> ModelRef | None:
        return self.resolver.by_label(label) if label else None

    # walking
    def scan(self) -> list[OrmUse]:
        self._block(self.tree.body, _Scope(None), "<module>")
        return sorted(self.uses, key=lambda u: (u.line, u.col))

    def _block(self, statements: list[ast.stmt], scope: _Scope, view: str) -> None:
        for index, statement in enumerate(statements):
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self._function(statement, scope, view)
            elif isinstance(statement, ast.ClassDef):
                if view == "<module>":
                    self._class(statement)
            elif not isinstance(statement, ast.Import | ast.ImportFrom):
                self._statement(statement, statements, index, scope, view)
                self._bind(statement, scope)
                for child in self._child_blocks(statement):
                    self._block(child, scope, view)

    def _function(self, function, scope: _Scope, view: str) -> None:

        name = function.name if view == "<module>" else f"{view}.{function.name}"
        if scope.view_class is not None:
            inner = method_scope(function, scope.view_class, _Scope)
        else:
            inner = _Scope(function, access=decorator_access(function, self) if view == "<module>" else scope.access)
        self._block(function.body, inner, name)

    def _class(self, node: ast.ClassDef) -> None:

        view_class = read_class(node, self)
        self.view_classes[node.name] = view_class
        scope = _Scope(None, view_class=view_class, access=view_class.access)
        self._block(node.body, scope, node.name)
        add_implicit_uses(view_class, self, scope)

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
        place = Place(statement, block, index, scope, view)
        for root in self._own_expressions(statement):
            self._visit(root, place, parents=[])

    def _visit(self, node, place: "Place", parents) -> None:
        if id(node) in self._covered:
            return
        if self._detect(node, place, parents):
            return
        for child in ast.iter_child_nodes(node):
            self._visit(child, place, parents + [node])

    # detection
    def _detect(self, node, place: "Place", parents) -> bool:
        if isinstance(node, ast.Call):
            return self._call(node, place) or super_access(node, place, self, parents)
        if isinstance(node, ast.Attribute):
            return self._manager_attribute(node, place, parents)
        return False

    def _call(self, call: ast.Call, place: "Place") -> bool:

        return (
            self._shortcut(call, place)
            or self._instance_write(call, place)
            or self._form_save(call, place)
            or self._related_write(call, place)
            or self._model_method(call, place)
            or super_form_valid(call, place, self)
        )

    def _manager_attribute(self, node: ast.Attribute, place: "Place", parents) -> bool:
        model = self.model_of(node.value)
        if model is not None and node.attr in model.managers:
            self._manager_chain(node, model, place, parents)
            return True
        owner, key = self._instance(node.value, place.scope)
        if owner is None or node.attr not in owner.related:
            return False
        related = self.model_by_label(owner.related[node.attr])
        outer, methods, indexed = chain_outer(node, parents)
        operation = chain_operation(methods, indexed)
        extra = {"receiver": key, "related_attr": node.attr, "related_model": related}
        if operation in RELATED_WRITES:
            self.record(outer, f"related_{operation}", owner, place, "related", **extra)
        else:
            self.record(outer, operation, related, place, "related", **extra)
        return True

    def record(self, expr, operation, model, place: "Place", via, **extra) -> OrmUse:
        scope = place.scope
        code = extra.pop("code", None) or ast.get_source_segment(self.text, expr) or ast.unparse(expr)
        origin = extra.pop("origin", expr)  # the view's own code, when ``expr`` writes it out
        view_class = scope.view_class
        use = OrmUse(
            file=self.file,
            line=expr.lineno,
            col=expr.col_offset,
            end_line=expr.end_lineno,
            end_col=expr.end_col_offset,
            view=place.view,
            operation=operation,
            model=model,
            code=code,
            via=via,
            expr=expr,
            statement=place.statement,
            function=scope.function,
            instances=dict(scope.instances),
            generic=view_class.generic if view_class is not None else "",
            login_required=scope.access.login_required,
            permission_required=scope.access.permission_required,
            **extra,
        )
        self.uses.append(use)
        self._by_expr[id(expr)] = self._by_expr[id(origin)] = use
        for root in [expr, origin, *use.moved, *use.then]:
            self._covered.update(id(n) for n in _nodes(root))
        return use

    _record = record

    def _manager_chain(self, manager, model, place: "Place", parents) -> None:
        outer, methods, indexed = chain_outer(manager, parents)
        self.record(outer, chain_operation(methods, indexed), model, place, "manager")

    def _shortcut(self, call, place: "Place") -> bool:
        name = call.func.id if isinstance(call.func, ast.Name) else None
        if name not in self.shortcuts or not call.args:
            return False
        first = call.args[0]
        model = self.model_of(first) or self.chain_model(first)
        if model is None:
            return False
        self.record(call, self.shortcuts[name] + "_or_404", model, place, "shortcut")
        return True

    def chain_model(self, node: ast.AST) -> ModelRef | None:
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

    _chain_model = chain_model

    @staticmethod
    def _instance(node: ast.AST, scope: _Scope) -> tuple[ModelRef | None, str | None]:
        """The model of ``order`` or ``self.object`` when the scope knows it holds an instance."""
        key = dotted_name(node)
        if key is None or key not in scope.instances:
            return None, None
        return scope.instances[key], key

    def _instance_write(self, call, place: "Place") -> bool:
        """``order.save()`` / ``order.delete()`` on a known instance."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("save", "delete")):
            return False
        scope = place.scope
        model, var = self._instance(func.value, scope)
        if model is None:
            return False
        moved, then = [], []
        if func.attr == "save":
            moved = self._moved_assignments(var, call, place)
            then = self._following_writes(var, call, place)
        built_by = scope.forms.get(scope.form_of.get(var, ""))
        self.record(
            call,
            func.attr,
            model,
            place,
            "instance",
            receiver=var,
            moved=moved,
            then=then,
            new_instance=var in scope.unsaved,
            writes=1 + sum(_writes_of(s, model) for s in then),
            form=built_by[0] if built_by else None,  # ``form.save_m2m()`` after it sets its many-to-many
        )
        scope.unsaved.discard(var)
        return True

    def _form_save(self, call, place: "Place") -> bool:
        """``form.save()`` of a ModelForm (``commit=False`` only builds an instance)."""
        func = call.func
        var = dotted_name(func.value) if isinstance(func, ast.Attribute) else None
        scope = place.scope
        if not (func_attr(call) == "save" and var in scope.forms and not _commit_false(call)):
            return False
        form, instance = scope.forms[var]
        self.record(
            call,
            form_operation(form, instance),
            form.model,
            place,
            "form",
            form=form,
            form_instance=instance,
            form_variable=var,
        )
        return True

    def _related_write(self, call, place: "Place") -> bool:
        """``order.lines.create(...)``, ``post.tags.add(tag)``: writes through a related manager."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in RELATED_WRITES):
            return False
        receiver = func.value
        if not isinstance(receiver, ast.Attribute):
            return False
        owner, key = self._instance(receiver.value, place.scope)
        if owner is None:
            return False
        related_label = owner.related.get(receiver.attr)
        if related_label is None and owner.related:
            return False  # not a related manager of that model: something else
        self.record(
            call,
            f"related_{func.attr}",
            owner,
            place,
            "related",
            receiver=key,
            related_attr=receiver.attr,
            related_model=self.model_by_label(related_label),
        )
        return True

    def _model_method(self, call, place: "Place") -> bool:
        """``notification.mark_as_read()``: a model method known to write."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return False
        model, var = self._instance(func.value, place.scope)
        if model is None or func.attr not in model.writers:
            return False
        self.record(call, "model_method", model, place, "method", receiver=var, writes=model.writers[func.attr])
        return True

    def moved_assignments(self, var: str, call: ast.Call, place: "Place") -> list[ast.stmt]:
        """``order.status = ...`` lines right before ``order.save()`` travel with it."""
        if not _is_own_statement(place.statement, call) or place.block is None:
            return []
        moved: list[ast.stmt] = []
        for previous in reversed(place.block[: place.index]):
            target = _assigned_target(previous)
            if not (
                isinstance(target, ast.Attribute)
                and dotted_name(target.value) == var
                and not any(id(n) in self._covered for n in _nodes(previous))
            ):
                break
            moved.insert(0, previous)
        return moved

    _moved_assignments = moved_assignments

    def _following_writes(self, var: str, call: ast.Call, place: "Place") -> list[ast.stmt]:
        """Writes on the saved instance right after the save, moved with it into one method."""
        if not _is_own_statement(place.statement, call) or place.block is None:
            return []
        model = place.scope.instances[var]
        form_var = place.scope.form_of.get(var)
        then = []
        for following in place.block[place.index + 1 :]:
            if not _is_instance_write(following, var, model, form_var):
                break
            then.append(following)
        return then

    # what variables hold, after a statement
    def _bind(self, statement: ast.stmt, scope: _Scope) -> None:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                self._bind_target(target, statement.value, scope)
        elif isinstance(statement, ast.For | ast.AsyncFor) and isinstance(statement.target, ast.Name):
            use = self._by_expr.get(id(statement.iter))
            if use and use.model and use.operation in ("list", "list_or_404"):
                scope.instances[statement.target.id] = use.model

    def _bind_target(self, target: ast.AST, value: ast.AST, scope: _Scope) -> None:
        key = dotted_name(target)
        for name in [key] if key else _targets(target):
            scope.instances.pop(name, None)
            scope.forms.pop(name, None)
            scope.unsaved.discard(name)
        if key is not None:
            self._bind_value(key, value, scope)
        elif isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[0], ast.Name):
            use = self._by_expr.get(id(value))
            if use and use.operation in ("get_or_create", "update_or_create") and use.model:
                scope.instances[target.elts[0].id] = use.model

    def _bind_value(self, name: str, value: ast.AST, scope: _Scope) -> None:
        use = self._by_expr.get(id(value))
        if use is not None and use.model is not None and use.operation in INSTANCE_OPERATIONS:
            scope.instances[name] = use.model
        elif isinstance(value, ast.Name) and value.id in scope.instances:
            scope.instances[name] = scope.instances[value.id]
        elif isinstance(value, ast.Call):
            self._bind_call(name, value, scope)

    def _bind_call(self, name: str, value: ast.Call, scope: _Scope) -> None:
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
        form_var = dotted_name(value.func.value) if isinstance(value.func, ast.Attribute) else None
        if func_attr(value) == "save" and form_var in scope.forms and _commit_false(value):
            form, instance = scope.forms[form_var]
            scope.instances[name] = form.model
            scope.form_of[name] = form_var
            if instance is None:  # a form bound to an instance edits it: saving is no creation
                scope.unsaved.add(name)


def _assigned_target(statement: ast.stmt) -> ast.AST | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return statement.targets[0]
    if isinstance(statement, ast.AugAssign | ast.AnnAssign):
        return statement.target
    return None


def _is_own_statement(statement: ast.stmt, call: ast.Call) -> bool:
    """The call is the whole statement (``order.save()``, ``return super().form_valid(form)``)."""
    return isinstance(statement, ast.Expr | ast.Return) and statement.value is call


def _is_instance_write(statement: ast.stmt, var: str, model: ModelRef, form_var: str | None) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return False
    receiver = dotted_name(call.func.value)
    attr = call.func.attr
    if receiver == var:
        return attr in model.writers
    if form_var is not None and receiver == form_var:
        return attr == "save_m2m"
    owner, _, related = (receiver or "").rpartition(".")
    return owner == var and related in model.related and attr in RELATED_WRITES


def _writes_of(statement: ast.stmt, model: ModelRef) -> int:
    attr = func_attr(statement.value) if isinstance(statement, ast.Expr) else None
    return model.writers.get(attr, 1)


def _nodes(root: ast.AST) -> Iterator[ast.AST]:
    """The nodes under ``root``, without the ``Load``/``Store`` singletons every tree shares."""
    return (n for n in ast.walk(root) if not isinstance(n, ast.expr_context))


def _commit_false(call: ast.Call) -> bool:
    return any(
        k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords
    )


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
