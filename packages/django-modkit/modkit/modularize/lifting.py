"""Moving an expression out of a view: what the view knew becomes keyword-only parameters.

``Order.objects.filter(customer__user=request.user, status=form.cleaned_data["status"])``
moved into a service becomes ``Order.objects.filter(customer__user=user, status=status)``
with the parameters ``user`` (the view passes ``request.user``) and ``status``. Names bound by
the view file's imports, builtins and names bound inside the expression stay as they are;
a variable holding a model instance is passed whole (``order``), never taken apart.
"""

import ast
import builtins
import copy
from dataclasses import dataclass

from modkit.modularize.naming import identifier, snake
from modkit.modularize.orm_facts import LOOKUPS, FormRef, ModelRef

GENERIC_ATTRS = {"pk", "id"}
REQUEST_PARTS = {
    "GET": "query",
    "POST": "form_data",
    "FILES": "files",
    "META": "meta",
    "COOKIES": "cookies",
}
# ``int(request.POST["quantity"])`` is parsing input: the view keeps it, the service gets an int.
CONVERTERS = {"int", "float", "str", "bool", "Decimal"}


@dataclass
class Param:
    name: str
    source: str  # what the view passes, as the view wrote it
    model: ModelRef | None = None  # holds an instance of this model
    annotation: str | None = None
    feeds: tuple[str, str] | None = None  # (model label, lookup or field) it is compared with or stored in
    form: FormRef | None = None  # the cleaned data of this ModelForm
    key: str = ""  # the value's code, normalised (ast.unparse): how uses of it are recognised


class ParamSet:
    def __init__(self, reserved: set[str] = frozenset()):
        self._by_source: dict[str, Param] = {}
        self.reserved = set(reserved) | {"self"}

    def __iter__(self):
        return iter(self._by_source.values())

    def __len__(self) -> int:
        return len(self._by_source)

    def __contains__(self, source: str) -> bool:
        return source in self._by_source

    def by_name(self, name: str) -> Param | None:
        return next((p for p in self if p.name == name), None)

    def add(
        self,
        source: str,
        suggestion: str,
        *,
        model: ModelRef | None = None,
        shown: str = "",
        **extra,
    ) -> Param:
        """``source`` (normalised code) identifies the value; ``shown`` is how the view wrote it."""
        if source in self._by_source:
            return self._by_source[source]
        base = identifier(suggestion)
        name, n = base, 2
        taken = {p.name for p in self} | self.reserved
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        param = Param(name=name, source=shown or source, model=model, key=source, **extra)
        self._by_source[source] = param
        return param


def field_of(keyword: str | None) -> str | None:
    """``customer__user__exact`` -> ``customer_user``; None for the primary key or ``**kwargs``."""
    if not keyword:
        return None
    parts = keyword.split("__")
    if len(parts) > 1 and parts[-1] in LOOKUPS:
        parts.pop()
    return None if parts in (["pk"], ["id"]) else "_".join(parts)


def _path_root(node: ast.AST) -> str | None:
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def suggest_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        return str(node.args[0].value)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = node.slice.value
        return str(key) if isinstance(key, str) else f"{suggest_name(node.value)}_{key}"
    if isinstance(node, ast.Attribute):
        return _attribute_name(node)
    return "value"


def _attribute_name(node: ast.Attribute) -> str:
    if node.attr == "cleaned_data":
        return "data"
    if node.attr in REQUEST_PARTS:
        return REQUEST_PARTS[node.attr]
    if node.attr in GENERIC_ATTRS and isinstance(node.value, ast.Attribute | ast.Name):
        return f"{suggest_name(node.value)}_{node.attr}"
    return node.attr


def _bound_by(node: ast.AST) -> set[str]:
    names: set[str] = set()
    if isinstance(node, ast.Lambda):
        a = node.args
        names.update(x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x)
    elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        for gen in node.generators:
            names.update(n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name))
    return names


class Lifter:
    def __init__(
        self,
        *,
        kept: set[str],
        function_locals: set[str],
        instances: dict[str, ModelRef],
        params: ParamSet,
        text: str = "",
    ):
        self.kept = kept  # names the view file imports (and model aliases)
        self.function_locals = function_locals
        self.instances = instances
        self.params = params
        self.text = text  # the view's source, to pass values as the view wrote them

    def liftable(self, name: str, bound: frozenset[str]) -> bool:
        if name in bound:
            return False
        if name in self.function_locals or name in self.instances:
            return True
        return not (name in self.kept or hasattr(builtins, name))

    def kept_names(self, node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not self.liftable(n.id, frozenset())}

    def lift(self, node: ast.AST, bound: frozenset[str] = frozenset()) -> ast.AST:
        return self._lift(copy.deepcopy(node), bound)

    def _param(self, node: ast.AST, suggestion: str | None = None) -> ast.Name:
        source = ast.unparse(node)
        shown = (ast.get_source_segment(self.text, node) or "") if self.text else ""
        model = self.instances.get(source)
        if model is not None and not isinstance(node, ast.Name):  # ``self.object`` passes as ``author``
            suggestion = snake(model.name)
        param = self.params.add(
            source,
            suggestion or suggest_name(node),
            model=model,
            shown=shown if "\n" not in shown else "",
        )
        return ast.Name(id=param.name, ctx=ast.Load())

    def _is_conversion(self, node: ast.Call, bound) -> bool:
        if not (
            isinstance(node.func, ast.Name)
            and node.func.id in CONVERTERS
            and node.func.id not in self.function_locals
            and len(node.args) == 1
            and not node.keywords
        ):
            return False
        arg = node.args[0]
        if isinstance(arg, ast.Call):
            return self._is_dict_get(arg, bound)
        root = _path_root(arg)
        return bool(root) and root not in self.instances and self.liftable(root, bound)

    def _is_dict_get(self, node: ast.Call, bound) -> bool:
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and not node.keywords
            and 1 <= len(node.args) <= 2
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            return False
        root = _path_root(func.value)
        return bool(root) and root not in self.instances and self.liftable(root, bound)

    def _lift(self, node: ast.AST, bound: frozenset[str]) -> ast.AST:
        if isinstance(node, ast.Name):
            return self._param(node) if isinstance(node.ctx, ast.Load) and self.liftable(node.id, bound) else node
        if isinstance(node, ast.Call):
            return self._lift_call(node, bound)
        if self._whole_value(node, bound):
            return self._param(node)
        return self._lift_fields(node, bound | _bound_by(node))

    def _lift_fields(self, node: ast.AST, bound) -> ast.AST:
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, name, [self._lift(v, bound) if isinstance(v, ast.AST) else v for v in value])
            elif isinstance(value, ast.AST):
                setattr(node, name, self._lift(value, bound))
        return node

    def _whole_value(self, node: ast.AST, bound) -> bool:
        """``request.user``, ``form.cleaned_data["x"]``, ``self.object``: passed as one value."""
        if not (isinstance(node, ast.Attribute | ast.Subscript) and isinstance(getattr(node, "ctx", None), ast.Load)):
            return False
        source = ast.unparse(node)
        if source in self.instances or source in self.params:  # an instance, or a value named already
            return True
        if self._within_instance(node):  # ``self.object.title``: the instance passes whole
            return False
        root = _path_root(node)
        return bool(root) and root not in self.instances and self.liftable(root, bound)

    def _within_instance(self, node: ast.AST) -> bool:
        current = getattr(node, "value", None)
        while isinstance(current, ast.Attribute | ast.Subscript):
            if ast.unparse(current) in self.instances:
                return True
            current = current.value
        return False

    def _lift_call(self, node: ast.Call, bound) -> ast.AST:
        if self._is_dict_get(node, bound):
            return self._param(node)
        if self._is_conversion(node, bound):
            return self._param(node, suggest_name(node.args[0]))
        if isinstance(node.func, ast.Attribute):
            node.func.value = self._lift(node.func.value, bound)
        else:
            node.func = self._lift(node.func, bound)
        node.args = [self._lift(a, bound) for a in node.args]
        for kw in node.keywords:
            kw.value = self.prefer(kw.value, field_of(kw.arg), bound) or self._lift(kw.value, bound)
        return node

    def prefer(self, node: ast.AST, name: str | None, bound=frozenset()) -> ast.Name | None:
        """``filter(borrower=request.user)``: the view's ``request.user`` passes as ``borrower``.

        Only an attribute of something the view has (not an instance, not ``form.cleaned_data[...]``
        whose key already names it) is named after the field it is compared with or stored in.
        """
        if not name or not isinstance(node, ast.Attribute) or ast.unparse(node) in self.instances:
            return None
        return self._param(node, name) if self._whole_value(node, bound) else None
