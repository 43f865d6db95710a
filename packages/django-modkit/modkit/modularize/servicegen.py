"""A service class from an app's direct model uses: one method per use, the operation moved in.

Each method is named by verb and model (``list_orders``, ``get_order``, ``update_order``),
takes keyword-only parameters for what the view knew (lifted from the moved code), runs
writes in one ``transaction.atomic()`` block the service owns, and turns the 404 shortcuts
into the layout's not-found error. For each use the view's replacement is computed too.
"""

import ast
import textwrap
from dataclasses import dataclass, field

from modkit.modularize.lifting import Lifter, Param, ParamSet
from modkit.modularize.naming import Imports, plural, singular, snake
from modkit.modularize.orm_scan import FormRef, ModelRef, OrmUse, ViewScanner, function_locals
from modkit.modularize.source import Import

SELF_SATISFYING = {
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "gte",
    "lte",
    "in",
}
PY_TYPES = {
    "CharField": "str",
    "TextField": "str",
    "SlugField": "str",
    "EmailField": "str",
    "URLField": "str",
    "IntegerField": "int",
    "BigIntegerField": "int",
    "SmallIntegerField": "int",
    "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "int",
    "PositiveBigIntegerField": "int",
    "AutoField": "int",
    "BigAutoField": "int",
    "SmallAutoField": "int",
    "BooleanField": "bool",
    "FloatField": "float",
}
TYPED_LOOKUPS = {
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "gt",
    "gte",
    "lt",
    "lte",
}


@dataclass
class ViewChange:
    """How one view changes: the lines it had and what replaces them."""

    file: str
    line: int
    end_line: int
    view: str
    before: str
    after: str
    method: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Method:
    name: str
    operation: str
    model: ModelRef | None
    params: list[Param]
    returns: str | None
    body: list[str]
    uses: list[OrmUse]
    # For the generated test: what the query compares, what the save assigns.
    lookups: dict[str, object] = field(default_factory=dict)  # constant filters: lookup -> literal
    strong: bool = False  # every filter is a parameter or a literal: one matching row must be found
    assigned: dict[str, object] = field(default_factory=dict)  # attribute -> Param or literal
    related_attr: str | None = None
    related_model: ModelRef | None = None
    form: FormRef | None = None
    query: tuple | None = field(default=None, repr=False)  # (original expression, scanner, owner)
    doc: str = ""

    @property
    def signature_key(self) -> tuple:
        """Two uses with this key are one method (the views may pass the values differently)."""
        return (self.name, tuple(self.body), tuple(p.name for p in self.params))

    def origin(self) -> str:
        places = sorted({f"{u.file}:{u.line} ({u.view})" for u in self.uses})
        return ", ".join(places)

    def source(self) -> list[str]:
        params = []
        for p in self.params:
            params.append(f"{p.name}: {p.annotation}" if p.annotation else p.name)
        sig = f"def {self.name}(self" + (", *, " + ", ".join(params) if params else "") + ")"
        ret = f" -> {self.returns}" if self.returns else ""
        if len(sig) + len(ret) + 5 > 100 and params:
            head = [f"    def {self.name}(", "        self,", "        *,"]
            head += [f"        {p}," for p in params]
            head.append(f"    ){ret}:")
        else:
            head = [f"    {sig}{ret}:"]
        doc = textwrap.wrap(self.doc or f"Moved from {self.origin()}.", width=88)
        doc[0] = '"""' + doc[0]
        doc[-1] += '"""'
        return head + [f"        {line}" for line in doc] + [f"        {line}" if line else "" for line in self.body]


class ServiceBuilder:
    """Collects the methods of one service from the uses found in one app's views."""

    def __init__(
        self,
        *,
        scanners: dict[str, ViewScanner],
        texts: dict[str, str],
        service_var: str,
        provide: str,
        field_info=None,
        not_found: tuple[str, str] = ("django.core.exceptions", "ObjectDoesNotExist"),
    ):
        self.not_found = not_found  # (module, name) of the error a missing row raises
        self.scanners = scanners  # by shown file path: the scanner that read it (imports, models)
        self.texts = texts
        self.service_var = service_var
        self.provide = provide  # the injection marker's id, e.g. "shop.shop_service"
        self.field_info = field_info  # (label, lookup) -> (field, path, lookup) or None
        self.imports = Imports()
        self.methods: list[Method] = []
        self.changes: list[ViewChange] = []
        self._names: set[str] = set()

    # public
    def add(self, use: OrmUse) -> Method:
        scanner = self.scanners[use.file]
        method = self._build(use, scanner)
        existing = next((m for m in self.methods if m.signature_key == method.signature_key), None)
        if existing is not None:
            existing.uses.append(use)
            self.changes.append(self._change(use, method))  # this view's own arguments
            return existing
        if method.name in self._names:
            method.name = self._unique(method.name, use)
        self._names.add(method.name)
        self.methods.append(method)
        self.changes.append(self._change(use, method))
        return method

    def _unique(self, name: str, use: OrmUse) -> str:
        view = snake(use.view.split(".")[0])
        candidate = f"{name}_for_{view}"
        n = 2
        while candidate in self._names:
            candidate, n = f"{name}_for_{view}_{n}", n + 1
        return candidate

    # one use -> one method
    def _build(self, use: OrmUse, scanner: ViewScanner) -> Method:
        kept = set(scanner.imports) | set(scanner.model_aliases)
        function_locals = _locals(use.function)
        instances = dict(_instances_of(use))
        reserved = {
            "transaction",
            "NotFound",
            "QuerySet",
            "fields",
            "result",
            "rows",
            "name",
            "value",
        }
        params = ParamSet(reserved)
        lifter = Lifter(
            kept=kept,
            function_locals=function_locals,
            instances=instances,
            params=params,
            text=self.texts.get(use.file, ""),
        )
        params.reserved |= lifter.kept_names(use.expr)
        for moved in use.moved:
            params.reserved |= lifter.kept_names(moved)
        model = use.model
        noun = snake(model.name) if model else "record"
        many = plural(noun)
        op = use.operation
        body: list[str] = []
        method = Method(name="", operation=op, model=model, params=[], returns=None, body=body, uses=[use])
        build = {
            "manager": self._from_manager,
            "shortcut": self._from_shortcut,
            "instance": self._from_instance,
            "related": self._from_related,
            "form": self._from_form,
        }[use.via]
        returns = build(method, use, scanner, lifter, params, noun, many)
        self._import_names(scanner, method, params)
        if any(line.startswith("with transaction") or "\nwith transaction" in line for line in body):
            self.imports.use("django.db", "transaction")
        method.params = list(params)
        method.returns = returns
        for p in method.params:
            if p.model is not None and p.annotation is None:
                p.annotation = self._model_local(p.model)
        self._annotate(method)
        # split multi-line entries so indentation stays right
        method.body = [part for line in body for part in line.split("\n")]
        return method

    # one builder per kind of use: each fills the method's name and body, returns the return type
    def _from_manager(self, method, use, scanner, lifter, params, noun, many) -> str | None:
        expr = lifter.lift(use.expr)
        if isinstance(expr, ast.Attribute):  # a bare manager handed around: its queryset
            expr = ast.Call(func=ast.Attribute(value=expr, attr="all", ctx=ast.Load()), args=[], keywords=[])
        code = ast.unparse(expr)
        if use.kind == "write":
            method.body += ["with transaction.atomic():", f"    return {code}"]
        else:
            method.body.append(f"return {code}")
        method.name = {
            "get": f"get_{noun}",
            "first": f"get_first_{noun}",
            "last": f"get_latest_{noun}",
            "latest": f"get_latest_{noun}",
            "earliest": f"get_earliest_{noun}",
            "list": f"list_{many}",
            "values": f"list_{many}",
            "count": f"count_{many}",
            "exists": f"has_{many}",
            "aggregate": f"summarize_{many}",
            "in_bulk": f"get_{many}_in_bulk",
            "create": f"create_{noun}",
            "get_or_create": f"get_or_create_{noun}",
            "update_or_create": f"update_or_create_{noun}",
            "bulk_create": f"create_{many}",
            "bulk_update": f"update_{many}",
            "update": f"update_{many}",
            "delete": f"delete_{many}",
        }[use.operation]
        method.query = (use.expr, scanner, None)
        return self._returns(use.operation, use.model)

    def _from_shortcut(self, method, use, scanner, lifter, params, noun, many) -> str | None:
        """``get_object_or_404(Order, ...)`` becomes ``Order.objects.get(...)`` raising NotFound."""
        model = use.model
        call: ast.Call = use.expr
        first = call.args[0]
        model_local = self._model_local(model)
        if scanner.model_of(first) is not None:
            query = ast.Attribute(
                value=ast.Name(id=model_local, ctx=ast.Load()),
                attr=model.default_manager,
                ctx=ast.Load(),
            )
        else:
            query = first  # a queryset: get_object_or_404(Order.objects.filter(...), pk=pk)
        rebuilt = ast.Call(
            func=ast.Attribute(
                value=query,
                attr="get" if use.operation == "get_or_404" else "filter",
                ctx=ast.Load(),
            ),
            args=list(call.args[1:]),
            keywords=list(call.keywords),
        )
        code = ast.unparse(lifter.lift(ast.fix_missing_locations(rebuilt)))
        not_found = self.imports.use(*self.not_found)
        message = f"No {model.spoken} matches the given query."
        method.query = (rebuilt, scanner, None)
        if use.operation == "get_or_404":
            method.body += [
                "try:",
                f"    return {code}",
                f"except {model_local}.DoesNotExist:",
                f"    raise {not_found}({message!r}) from None",
            ]
            method.name = f"get_{noun}"
            return model_local
        method.body += [
            f"rows = list({code})",
            "if not rows:",
            f"    raise {not_found}({message!r})",
            "return rows",
        ]
        method.name = f"list_{many}"
        return f"list[{model_local}]"

    def _from_instance(self, method, use, scanner, lifter, params, noun, many) -> str | None:
        """``order.save()`` (with the ``order.x = ...`` lines before it) or ``order.delete()``."""
        moved = [ast.unparse(lifter.lift(stmt)) for stmt in use.moved]
        call_code = ast.unparse(lifter.lift(use.expr))
        param = next(p for p in params if p.key == use.receiver)
        if use.operation != "save":
            method.body += ["with transaction.atomic():", f"    {call_code}"]
            method.name = f"delete_{noun}"
            return "None"
        method.body += [
            "with transaction.atomic():",
            *(f"    {m}" for m in moved),
            f"    {call_code}",
            f"return {param.name}",
        ]
        if use.new_instance:
            method.name = f"create_{noun}"
        else:
            method.name = f"update_{noun}" if moved else f"save_{noun}"
        for stmt in use.moved:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
            if stmt.value is not None:
                method.assigned[target.attr] = _assigned(
                    lifter.lift(stmt.value),
                    scanner,
                    added=isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add),
                    augmented=isinstance(stmt, ast.AugAssign),
                )
        return self._model_local(use.model)

    def _from_related(self, method, use, scanner, lifter, params, noun, many) -> str | None:
        """``order.lines.create(...)``, ``post.tags.add(tag)``: writes through a related manager."""
        expr = lifter.lift(use.expr)
        verb = use.operation.removeprefix("related_")
        attr = use.related_attr
        method.related_attr = attr
        method.related_model = use.related_model
        method.query = (use.expr, scanner, use.related_model)
        if verb == "create":
            method.body += ["with transaction.atomic():", f"    return {ast.unparse(expr)}"]
            target = snake(use.related_model.name) if use.related_model else singular(attr)
            method.name = f"create_{target}" if target.startswith(noun) else f"create_{noun}_{singular(attr)}"
            return self._model_local(use.related_model) if use.related_model else None
        method.body += ["with transaction.atomic():", f"    {ast.unparse(expr)}"]
        method.name = f"{verb}_{noun}_{singular(attr) if verb in ('add', 'remove') else attr}"
        if use.related_model is not None:  # what is added or removed is a row of the related model
            for arg in expr.args:
                param = params.by_name(arg.id) if isinstance(arg, ast.Name) else None
                if param is not None and param.model is None:
                    param.model = use.related_model
        return "None"

    def _from_form(self, method, use, scanner, lifter, params, noun, many) -> str | None:
        """A ModelForm's ``save()``: the service takes the cleaned data (and the instance it edits)."""
        form = use.form
        data = params.add(f"{use.form_variable}.cleaned_data", "data", form=form)
        data.annotation = "dict"
        model_local = self._model_local(use.model)
        pops = [f"{m} = fields.pop({m!r}, None)" for m in form.many_to_many]
        if use.operation == "form_update":
            instance = params.add(
                ast.unparse(use.form_instance),
                _instance_name(use.form_instance, noun),
                model=use.model,
            )
            var = instance.name
            saving = [
                "    for name, value in fields.items():",
                f"        setattr({var}, name, value)",
                f"    {var}.save()",
            ]
            method.name = f"update_{noun}"
        else:
            var = noun
            saving = [f"    {var} = {model_local}.{use.model.default_manager}.create(**fields)"]
            method.name = f"create_{noun}"
        sets = [f"    if {m} is not None:\n        {var}.{m}.set({m})" for m in form.many_to_many]
        method.body += [
            "fields = dict(data)",
            *pops,
            "with transaction.atomic():",
            *saving,
            *sets,
            f"return {var}",
        ]
        method.form = form
        return model_local

    def _returns(self, op: str, model: ModelRef | None) -> str | None:
        if model is None:
            return None
        local = self._model_local(model)
        if op in ("list",):
            return f"{self.imports.use('django.db.models', 'QuerySet')}[{local}]"
        if op == "values":
            return self.imports.use("django.db.models", "QuerySet")
        return {
            "get": local,
            "first": f"{local} | None",
            "last": f"{local} | None",
            "latest": local,
            "earliest": local,
            "count": "int",
            "exists": "bool",
            "aggregate": "dict",
            "in_bulk": "dict",
            "create": local,
            "get_or_create": f"tuple[{local}, bool]",
            "update_or_create": f"tuple[{local}, bool]",
            "bulk_create": f"list[{local}]",
            "bulk_update": "int",
            "update": "int",
            "delete": "tuple[int, dict[str, int]]",
        }.get(op)

    def _model_local(self, model: ModelRef) -> str:
        return self.imports.use(model.module, model.name)

    def _import_names(self, scanner: ViewScanner, method: Method, params: ParamSet) -> None:
        """Every name the moved code still uses is imported in the service as the view had it."""
        tree = ast.parse("\n".join(method.body))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        param_names = {p.name for p in params}
        for name in sorted(names - param_names):
            if name in scanner.model_aliases:
                model = scanner.model_aliases[name]
                self.imports.use(model.module, model.name, prefer=name)
            elif name in scanner.imports:
                imp: Import = scanner.imports[name]
                self.imports.use(imp.module, imp.attr, prefer=name)

    def _annotate(self, method: Method) -> None:
        if self.field_info is None:
            return
        for p in method.params:
            if p.annotation or p.feeds is None:
                continue
            info = self.field_info(*p.feeds)
            if info is None:
                continue
            found, _path, lookup = info
            if found is None:
                continue
            if lookup == "in":
                p.annotation = "list"
            elif lookup == "isnull":
                p.annotation = "bool"
            elif lookup in TYPED_LOOKUPS and not found.is_relation:
                p.annotation = PY_TYPES.get(found.get_internal_type())

    # what a query compares, for types and tests
    def finalize(self) -> None:
        """Parameters are known only once lifting is done: now read what each one feeds."""
        for method in self.methods:
            self._assigned_feeds(method)
            if method.query is None:
                self._annotate(method)
                continue
            original, scanner, owner_override = method.query
            by_source = {p.key or p.source: p for p in method.params}
            strong = True
            constants: dict[str, object] = {}
            for call, owner in _lookup_calls(original, scanner, owner_override):
                if isinstance(call.func, ast.Attribute) and call.func.attr == "exclude":
                    strong = False
                if call.args and not (
                    isinstance(call.func, ast.Attribute)
                    and call.func.attr
                    in (
                        "order_by",
                        "select_related",
                        "prefetch_related",
                        "only",
                        "defer",
                        "values",
                        "values_list",
                        "add",
                        "remove",
                        "set",
                        "latest",
                        "earliest",
                    )
                ):
                    strong = False
                for kw in call.keywords:
                    if kw.arg is None:
                        strong = False
                        continue
                    source = ast.unparse(kw.value)
                    param = by_source.get(source)
                    if param is not None and owner is not None:
                        if param.feeds is None:
                            param.feeds = (owner.label, kw.arg)
                    elif isinstance(kw.value, ast.Constant) and owner is method.model:
                        constants[kw.arg] = kw.value.value
                    elif owner is method.model:
                        strong = False
            method.lookups = constants
            method.strong = strong and method.model is not None
            self._annotate(method)

    @staticmethod
    def _assigned_feeds(method: Method) -> None:
        """``order.status = status`` moved with a save: ``status`` is a value of ``Order.status``."""
        for attr, value in list(method.assigned.items()):
            if isinstance(value, Assigned) and value.param_name:
                param = next((p for p in method.params if p.name == value.param_name), None)
                if param is not None:
                    param.feeds = param.feeds or (method.model.label, attr)
                    value.param = param

    # the view's side
    def _change(self, use: OrmUse, method: Method) -> ViewChange:
        lines = self.texts[use.file].splitlines()
        start = use.first_line
        end = use.statement.end_lineno
        before = "\n".join(lines[start - 1 : end])
        args = ", ".join(f"{p.name}={p.source}" for p in method.params)
        call = f"{self.service_var}.{method.name}({args})"
        statement = use.statement
        indent = " " * statement.col_offset
        if use.via == "instance" and use.operation == "save" and isinstance(statement, ast.Expr):
            after = f"{indent}{use.receiver} = {call}"
        elif use.function is None and use.view != "<module>":
            # A class attribute (``queryset = ...``) is built at import: ask the service per request.
            after = (
                f"{indent}@inject\n"
                f'{indent}def get_queryset(self, {self.service_var}=Provide["{self.provide}"]):\n'
                f"{indent}    return {call}"
            )
        else:
            after = _replace_span(lines, statement, use.expr, call)
        if use.operation in ("get_or_404", "list_or_404"):
            inner = "\n".join("    " + line for line in after.splitlines())
            after = f"{indent}try:\n{inner}\n{indent}except NotFound:\n{indent}    raise Http404 from None"
        return ViewChange(
            file=use.file,
            line=start,
            end_line=end,
            view=use.view,
            before=before,
            after=after,
            method=method.name,
        )

    def render_class(self, class_name: str, doc: str) -> list[str]:
        out = [f"class {class_name}:", f'    """{doc}"""']
        for method in self.methods:
            out.append("")
            out.extend(method.source())
        return out


def _locals(function) -> set[str]:
    return function_locals(function) if function is not None else set()


def _instances_of(use: OrmUse):
    yield from use.instances.items()
    if use.receiver and use.model is not None:
        yield use.receiver, use.model


def _instance_name(node: ast.AST, noun: str) -> str:
    return node.id if isinstance(node, ast.Name) else noun


@dataclass
class Assigned:
    """What a moved ``instance.attr = value`` stores, as far as a test can check it."""

    augmented: bool = False
    added: bool = False  # ``+=``: the test can check the sum
    param_name: str | None = None  # the value is this parameter
    param: Param | None = None
    literal: object = None
    has_literal: bool = False
    constant: tuple[ModelRef, str] | None = None  # the value is ``Model.CONSTANT``


def _assigned(node: ast.AST, scanner: ViewScanner, *, augmented: bool, added: bool) -> Assigned:
    found = Assigned(augmented=augmented, added=added)
    if isinstance(node, ast.Constant):
        found.literal, found.has_literal = node.value, True
    elif isinstance(node, ast.Name):
        found.param_name = node.id
    elif isinstance(node, ast.Attribute):
        model = scanner.model_of(node.value)
        if model is not None:
            found.constant = (model, node.attr)
    return found


def _lookup_calls(node: ast.AST, scanner: ViewScanner, owner_override: ModelRef | None):
    """(call, model) for every call whose keywords are lookups or fields of a model."""
    found = []

    def chain_model(func: ast.AST) -> ModelRef | None:
        current = func.value if isinstance(func, ast.Attribute) else None
        while current is not None:
            if isinstance(current, ast.Attribute):
                model = scanner.model_of(current.value)
                if model is not None and current.attr in model.managers:
                    return model
                current = current.value
            elif isinstance(current, ast.Call):
                current = current.func
            elif isinstance(current, ast.Subscript):
                current = current.value
            else:
                return None
        return None

    def walk(current: ast.AST, owner: ModelRef | None) -> None:
        if isinstance(current, ast.Call):
            model = chain_model(current.func)
            name = current.func.attr if isinstance(current.func, ast.Attribute) else getattr(current.func, "id", "")
            if (
                model is None
                and owner_override is not None
                and isinstance(current.func, ast.Attribute)
                and isinstance(current.func.value, ast.Attribute)
            ):
                model = owner_override
            if model is not None:
                found.append((current, model))
                owner = model
            elif name == "Q" and owner is not None:
                found.append((current, owner))
        for child in ast.iter_child_nodes(current):
            walk(child, owner)

    walk(node, None)
    return found


def _replace_span(lines: list[str], statement: ast.stmt, expr: ast.AST, replacement: str) -> str:
    """The statement's source with ``expr`` (located by ast's UTF-8 byte offsets) replaced."""
    chunk = [line.encode() for line in lines[statement.lineno - 1 : statement.end_lineno]]
    first = expr.lineno - statement.lineno
    last = expr.end_lineno - statement.lineno
    head = chunk[first][: expr.col_offset]
    tail = chunk[last][expr.end_col_offset :]
    new = chunk[:first] + [head + replacement.encode() + tail] + chunk[last + 1 :]
    return "\n".join(part.decode() for part in new)
