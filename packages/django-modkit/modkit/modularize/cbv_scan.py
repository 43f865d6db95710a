"""Class-based views: the ORM access Django's generic views do without a line of the view doing it.

A class deriving from ``ListView``, ``DetailView``, ``CreateView``, ``UpdateView`` or
``DeleteView`` (from ``django.views.generic``, or from a class of the same file that does) reads
and writes its model through inherited methods. Each such access becomes an ``implicit``
:class:`~modkit.modularize.orm_scan.OrmUse` whose ``expr`` is the equivalent explicit code, so
the service is built like any other:

============  ====================  =======================================================
generic view  operation             equivalent code / method the view gets (``change``)
============  ====================  =======================================================
ListView      ``list``              ``Book.objects.all()`` (+ ``ordering``) / ``get_queryset``
Detail/Update ``get_or_404``        ``get_object_or_404(Book, pk=...)`` / ``get_object``
/DeleteView
Create/Update ``form_create``,      ``form.save()`` / ``form_valid``
View          ``form_update``,
              ``form_save``
DeleteView    ``delete``            ``self.object.delete()`` / ``form_valid``
============  ====================  =======================================================

An overridden ``get_queryset``, ``get_object`` or ``form_valid`` (or a ``queryset`` attribute)
replaces the implicit access: its own code is scanned instead, knowing that ``self.object`` holds
an instance of the model and that ``form`` is the view's model form; ``super().form_valid(form)``
in it is the form's save (or the deletion). ``LoginRequiredMixin`` / ``PermissionRequiredMixin``
(and ``@login_required`` / ``@permission_required`` on function views) are recorded on each use:
those rules stay in the view.

``scanner`` below is always the :class:`~modkit.modularize.orm_scan.ViewScanner` reading the file:
it calls in here, and this module only calls back what it is given (so it does not import it).
"""

import ast
import copy
from dataclasses import dataclass, field

from modkit.modularize.orm_facts import (
    Access,
    FormRef,
    ModelRef,
    Place,
    chain_operation,
    chain_outer,
    dotted_name,
    form_operation,
)

GENERIC_KINDS = {
    "ListView": "list",
    "BaseListView": "list",
    "ArchiveIndexView": "list",
    "YearArchiveView": "list",
    "MonthArchiveView": "list",
    "WeekArchiveView": "list",
    "DayArchiveView": "list",
    "TodayArchiveView": "list",
    "DateDetailView": "list",  # its get_object filters get_queryset() by date: override that instead
    "DetailView": "detail",
    "BaseDetailView": "detail",
    "CreateView": "create",
    "BaseCreateView": "create",
    "UpdateView": "update",
    "BaseUpdateView": "update",
    "DeleteView": "delete",
    "BaseDeleteView": "delete",
}
DJANGO_PREFIXES = ("django.views", "django.contrib.auth.mixins", "django.contrib.auth.views")
SINGLE_OBJECT = ("detail", "update", "delete")


def self_object() -> ast.expr:
    return ast.parse("self.object", mode="eval").body


@dataclass
class ViewClass:
    """What a class of the views file is, as far as its ORM access and its access rules go."""

    node: ast.ClassDef
    name: str
    generic: str = ""  # "ListView"... ("" for a class that is no generic view)
    kind: str = ""  # list | detail | create | update | delete
    attrs: dict[str, ast.stmt] = field(default_factory=dict)  # class attributes, own and a local parent's
    methods: dict[str, ast.AST] = field(default_factory=dict)
    mixins: set[str] = field(default_factory=set)
    model: ModelRef | None = None
    model_node: ast.AST | None = None  # how the view names its model (``Book``, ``models.Book``)
    form: FormRef | None = None
    access: Access = field(default_factory=Access)

    def constant(self, name: str, default=None):
        statement = self.attrs.get(name)
        value = getattr(statement, "value", None)
        return value.value if isinstance(value, ast.Constant) else default

    def overrides(self, *names: str) -> bool:
        return any(name in self.methods for name in names)


# reading a class
def read_class(node: ast.ClassDef, scanner) -> ViewClass:
    view = ViewClass(node=node, name=node.name)
    for base in node.bases:
        _inherit(view, base, scanner)
    for statement in node.body:
        name = _attribute_name(statement)
        if name:
            view.attrs[name] = statement
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            view.methods[statement.name] = statement
    view.access = _class_access(view, scanner)
    view.model, view.model_node = _model(view, scanner)
    view.form = _form(view, scanner)
    if view.model is None and view.form is not None:
        view.model = view.form.model
    return view


def _inherit(view: ViewClass, base: ast.AST, scanner) -> None:
    parent = scanner.view_classes.get(dotted_name(base) or "")
    if parent is not None:  # a class of the same file
        _merge(view, parent)
        return
    target = scanner.dotted_target(base) or dotted_name(base) or ""
    name = target.rpartition(".")[2]
    if not target.startswith(DJANGO_PREFIXES) and "." in target:
        name = _resolved_generic(scanner, target) or name
    if name in GENERIC_KINDS and not view.generic:
        view.generic, view.kind = name, GENERIC_KINDS[name]
    view.mixins.add(name)


def _merge(view: ViewClass, parent: ViewClass) -> None:
    view.generic = view.generic or parent.generic
    view.kind = view.kind or parent.kind
    view.attrs = {**parent.attrs, **view.attrs}
    view.methods = {**parent.methods, **view.methods}
    view.mixins |= parent.mixins


def _resolved_generic(scanner, target: str) -> str | None:
    """A project's own base view from another module, when the resolver can tell what it derives from."""
    ask = getattr(scanner.resolver, "generic_view", None)
    return ask(target) if ask is not None else None


def _attribute_name(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
        return statement.target.id
    return None


def _model(view: ViewClass, scanner) -> tuple[ModelRef | None, ast.AST | None]:
    statement = view.attrs.get("model")
    if statement is not None:
        model = scanner.model_of(statement.value)
        if model is not None:
            return model, statement.value
    statement = view.attrs.get("queryset")
    if statement is not None:
        return scanner.chain_model(statement.value), None
    return None, None


def _form(view: ViewClass, scanner) -> FormRef | None:
    statement = view.attrs.get("form_class")
    if statement is not None:
        return scanner.form_of(statement.value)
    statement = view.attrs.get("fields")
    if statement is None or view.model is None or view.kind not in ("create", "update"):
        return None
    names = _field_names(statement.value, view.model)
    return FormRef(
        name=f"{view.model.name}Form",
        module="",
        model=view.model,
        fields=names,
        many_to_many=tuple(n for n in names if n in view.model.many_to_many),
    )


def _field_names(node: ast.AST, model: ModelRef) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and node.value == "__all__":
        return model.editable
    if isinstance(node, ast.List | ast.Tuple):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return ()


# access rules
def _strings(node: ast.AST | None) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return ()


def _class_access(view: ViewClass, scanner) -> Access:
    access = Access(login_required="LoginRequiredMixin" in view.mixins)
    if "PermissionRequiredMixin" in view.mixins:
        statement = view.attrs.get("permission_required")
        access.permission_required = _strings(statement.value) if statement is not None else ()
        access.login_required = True
    if "UserPassesTestMixin" in view.mixins:
        access.permission_required += ("test_func()",)
    for decorator in view.node.decorator_list:  # @method_decorator(login_required, name="dispatch")
        _decorator(decorator, access, scanner)
    return access


def decorator_access(function: ast.AST, scanner) -> Access:
    access = Access()
    for decorator in function.decorator_list:
        _decorator(decorator, access, scanner)
    return access


def _decorator(node: ast.AST, access: Access, scanner) -> None:
    call = node if isinstance(node, ast.Call) else None
    name = (dotted_name(call.func if call else node) or "").rpartition(".")[2]
    args = call.args if call else []
    if name == "method_decorator" and args:
        _decorator(args[0], access, scanner)
        return
    if name in ("login_required", "staff_member_required", "permission_required"):
        access.login_required = True
    access.permission_required += DECORATOR_RULES.get(name, lambda args: ())(args)


DECORATOR_RULES = {
    "staff_member_required": lambda args: ("is_staff",),
    "permission_required": lambda args: _strings(args[0]) if args else (),
    "user_passes_test": lambda args: ("user_passes_test",),
}


# scanning the methods
def method_scope(function: ast.AST, view: ViewClass, scope_class):
    """What a method of the class knows: ``self.object`` is an instance, ``form`` the model form."""
    scope = scope_class(function, view_class=view, access=view.access)
    if view.model is not None and view.kind in SINGLE_OBJECT:
        scope.instances["self.object"] = view.model
    arguments = {a.arg for a in function.args.args}
    if view.form is not None and view.kind in ("create", "update") and "form" in arguments:
        scope.forms["form"] = (view.form, self_object() if view.kind == "update" else None)
    return scope


def super_form_valid(call: ast.Call, place: Place, scanner) -> bool:
    """``super().form_valid(form)`` in a create/update view saves the form; in a DeleteView it deletes."""
    func = call.func
    view = place.scope.view_class
    if not (isinstance(func, ast.Attribute) and func.attr == "form_valid" and _is_super(func.value) and view):
        return False
    if view.kind == "delete" and view.model is not None:
        scanner.record(call, "delete", view.model, place, "instance", receiver="self.object", change="super_form_valid")
        return True
    variable = dotted_name(call.args[0]) if call.args else None
    if view.kind not in ("create", "update") or variable not in place.scope.forms:
        return False
    form, instance = place.scope.forms[variable]
    scanner.record(
        call,
        form_operation(form, instance),
        form.model,
        place,
        "form",
        form=form,
        form_instance=instance,
        form_variable=variable,
        moved=scanner.moved_assignments(f"{variable}.instance", call, place),
        change="super_form_valid",
    )
    return True


def super_access(call: ast.Call, place: Place, scanner, parents: list) -> bool:
    """``super().get_queryset().filter(...)`` / ``super().get_object()`` in an overriding method.

    The use's expression is the same code with the generic view's own access written out
    (``Book.objects.all().filter(...)``, ``get_object_or_404(Book, pk=...)``), at the same place.
    """
    func = call.func
    view = place.scope.view_class
    if not (isinstance(func, ast.Attribute) and _is_super(func.value) and view and view.model):
        return False
    written = SUPER_ACCESS.get(func.attr, lambda *args: None)(view, scanner, call, parents)
    if written is None:
        return False
    outer, expr, operation = written
    code = ast.get_source_segment(scanner.text, outer) or ast.unparse(outer)
    via = "shortcut" if operation == "get_or_404" else "manager"
    scanner.record(expr, operation, view.model, place, via, code=code, origin=outer)
    return True


def _super_queryset(view: ViewClass, scanner, call: ast.Call, parents: list):
    if not view.kind:
        return None
    outer, methods, indexed = chain_outer(call, parents)
    written = f"{_model_source(view, scanner)}.{view.model.default_manager}.all()"
    return outer, _replace_node(outer, call, _synthetic(written, call)), chain_operation(methods, indexed)


def _super_object(view: ViewClass, scanner, call: ast.Call, parents: list):
    if view.kind not in SINGLE_OBJECT:
        return None
    written = f"get_object_or_404({_model_source(view, scanner)}, {_object_lookup(view)})"
    return call, _synthetic(written, call), "get_or_404"


SUPER_ACCESS = {"get_queryset": _super_queryset, "get_object": _super_object}


def _replace_node(tree: ast.AST, old: ast.AST, new: ast.AST) -> ast.AST:
    """A copy of ``tree`` (positions kept) with ``old`` replaced by ``new``."""
    if tree is old:
        return new
    copied = copy.copy(tree)
    for name, value in ast.iter_fields(tree):
        if isinstance(value, ast.AST):
            setattr(copied, name, _replace_node(value, old, new))
        elif isinstance(value, list):
            setattr(copied, name, [_replace_node(v, old, new) if isinstance(v, ast.AST) else v for v in value])
    return copied


def _is_super(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


# the implicit uses
def _statement(view: ViewClass, *preferred: str) -> ast.stmt:
    """The class statement that causes the access (``model = Book``): where the use is reported."""
    own = {_attribute_name(s): s for s in view.node.body if _attribute_name(s)}
    return next((own[name] for name in preferred if name in own), view.node)


def add_implicit_uses(view: ViewClass, scanner, scope) -> None:
    if not view.kind or view.model is None:
        return
    for add in (_implicit_list, _implicit_object, _implicit_form, _implicit_delete):
        add(view, scanner, scope)


def _synthetic(code: str, anchor: ast.stmt) -> ast.expr:
    """``code`` parsed, every node placed on the anchor statement (what the view's line stands for)."""
    expr = ast.parse(code, mode="eval").body
    for node in ast.walk(expr):
        if hasattr(node, "lineno"):
            node.lineno, node.col_offset = anchor.lineno, anchor.col_offset
            node.end_lineno, node.end_col_offset = anchor.end_lineno, anchor.end_col_offset
    return expr


def _model_source(view: ViewClass, scanner) -> str:
    if view.model_node is not None:
        return ast.unparse(view.model_node)
    for local, imp in scanner.imports.items():
        if scanner.resolver.model(imp.target) == view.model:
            return local
    return view.model.name


def _record(view, scanner, scope, statement, method, expr, operation, via, **extra):
    """The use, reported on ``statement``; the method calling the service is added to the class."""
    place = Place(statement=statement, block=None, index=0, scope=scope, view=f"{view.name}.{method}")
    code = f"{view.generic or view.kind}: {ast.unparse(expr)}"
    return scanner.record(expr, operation, view.model, place, via, implicit=True, anchor=view.node, code=code, **extra)


def _implicit_list(view: ViewClass, scanner, scope) -> None:
    if view.kind != "list" or view.overrides("get_queryset") or "queryset" in view.attrs:
        return
    code = f"{_model_source(view, scanner)}.{view.model.default_manager}.all()"
    ordering = view.attrs.get("ordering")
    if ordering is not None:
        order = ordering.value
        items = order.elts if isinstance(order, ast.List | ast.Tuple) else [order]
        code += f".order_by({', '.join(ast.unparse(i) for i in items)})"
    anchor = _statement(view, "model", "ordering")
    expr = _synthetic(code, anchor)
    paginate_by = view.constant("paginate_by")
    _record(view, scanner, scope, anchor, "get_queryset", expr, "list", "manager", change="get_queryset")
    scanner.uses[-1].paginate_by = paginate_by


def _object_lookup(view: ViewClass) -> str:
    """How the view finds its object: by ``pk``, or by its slug field when it declares one."""
    if "slug_field" in view.attrs or "slug_url_kwarg" in view.attrs:
        return f"{view.constant('slug_field', 'slug')}=self.kwargs[self.slug_url_kwarg]"
    return "pk=self.kwargs[self.pk_url_kwarg]"


def _implicit_object(view: ViewClass, scanner, scope) -> None:
    if view.kind not in SINGLE_OBJECT or view.overrides("get_object", "get_queryset") or "queryset" in view.attrs:
        return
    anchor = _statement(view, "model")
    expr = _synthetic(f"get_object_or_404({_model_source(view, scanner)}, {_object_lookup(view)})", anchor)
    _record(view, scanner, scope, anchor, "get_object", expr, "get_or_404", "shortcut", change="get_object")


def _implicit_form(view: ViewClass, scanner, scope) -> None:
    if view.kind not in ("create", "update") or view.form is None or view.overrides("form_valid", "post"):
        return
    instance = self_object() if view.kind == "update" else None
    anchor = _statement(view, "fields", "form_class", "model")
    expr = _synthetic("form.save()", anchor)
    _record(
        view,
        scanner,
        scope,
        anchor,
        "form_valid",
        expr,
        form_operation(view.form, instance),
        "form",
        form=view.form,
        form_instance=instance,
        form_variable="form",
        change="form_valid",
    )


def _implicit_delete(view: ViewClass, scanner, scope) -> None:
    if view.kind != "delete" or view.overrides("form_valid", "post", "delete"):
        return
    anchor = _statement(view, "model", "success_url")
    expr = _synthetic("self.object.delete()", anchor)
    _record(
        view, scanner, scope, anchor, "form_valid", expr, "delete", "instance", receiver="self.object", change="delete"
    )
