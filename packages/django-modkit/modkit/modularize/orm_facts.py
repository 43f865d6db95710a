"""The facts the scanners share: what an ORM chain does, what a model and a form are, who may
run a view, where a use sits. Nothing here reads a whole file; ``orm_scan`` and ``cbv_scan`` do."""

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    "get_or_404",
    "form_create",
    "form_update",
    "form_save",
}


WRITE_OPERATIONS = (
    WRITE_METHODS
    | {"save", "form_create", "form_update", "form_save", "model_method"}
    | {f"related_{m}" for m in RELATED_WRITES}
)

# The field lookups Django knows (``status__exact``): a name's last part, when it is one.
LOOKUPS = {
    "exact",
    "iexact",
    "contains",
    "icontains",
    "in",
    "gt",
    "gte",
    "lt",
    "lte",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "range",
    "isnull",
    "regex",
    "iregex",
}
# Calls that write, on a model, a manager or a related manager.
WRITE_CALLS = {
    "save",
    "delete",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "add",
    "remove",
    "set",
    "clear",
}


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
    # What naming and the generic views need to know of the fields (empty when unknown):
    fields: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)  # name -> internal type
    forward: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)  # relation -> label
    choices: Mapping[str, Mapping] = field(default_factory=dict, compare=False, hash=False)  # value -> label
    editable: tuple[str, ...] = field(default=(), compare=False)  # what ``fields = "__all__"`` means
    many_to_many: tuple[str, ...] = field(default=(), compare=False)
    ordering: tuple[str, ...] = field(default=(), compare=False)  # Meta.ordering
    pk: str = field(default="id", compare=False)
    # model methods that write -> how many writes they do (a write in a loop counts twice)
    writers: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)

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
    custom_save: bool = False  # the form class overrides save(): its writes are its own


def dotted_name(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


@dataclass
class Access:
    """Who may run a view: decorators of a function view, mixins of a class-based one."""

    login_required: bool = False
    permission_required: tuple[str, ...] = ()


@dataclass
class Place:
    """Where a use is: its statement, the block and index of that statement, the scope and view."""

    statement: ast.stmt
    block: list[ast.stmt] | None
    index: int
    scope: Any  # orm_scan's scope of names
    view: str


def chain_outer(manager: ast.AST, parents: list[ast.AST]) -> tuple[ast.AST, list[str], bool]:
    """The whole chain ``manager.filter(...).count()`` around ``manager``, its methods, and an index."""
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
    return outer, methods, indexed


def func_attr(call: ast.AST) -> str | None:
    return call.func.attr if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) else None


def form_operation(form: FormRef, instance: ast.AST | None) -> str:
    if form.custom_save:
        return "form_save"
    return "form_update" if instance is not None else "form_create"


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
