"""A service class from an app's direct model uses: one method per use case, the operation moved in.

Each method is named in the domain's words (:mod:`modkit.modularize.method_names`: the verb, the
model, the filters and fields, never the view), takes keyword-only parameters for what the view
knew (lifted from the moved code), returns a typed result (a ``QuerySet`` stays a queryset, so
the view's pagination keeps working), and turns the 404 shortcuts into the layout's not-found
error. A method runs in ``transaction.atomic()`` only when it does several writes. Two views doing
the same query share one method. For each use the view's replacement is computed too
(:mod:`modkit.modularize.view_changes`).
"""

import ast
import textwrap
from dataclasses import dataclass, field

from modkit.modularize.lifting import Lifter, Param, ParamSet
from modkit.modularize.method_names import QueryNamer, method_name, related_noun, save_name
from modkit.modularize.naming import Imports, singular, snake
from modkit.modularize.orm_scan import FormRef, ModelRef, OrmUse, ViewScanner, function_locals
from modkit.modularize.source import Import
from modkit.modularize.view_changes import Target, ViewChange, view_change

__all__ = ["SELF_SATISFYING", "Assigned", "Method", "ServiceBuilder", "ViewChange"]

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


RESERVED = {"transaction", "QuerySet", "fields", "result", "rows"}
FORM_LOCALS = {"name", "value", "names"}
NOT_STRONG = {
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
}
RETURNS = {
    "count": "int",
    "exists": "bool",
    "aggregate": "dict",
    "in_bulk": "dict",
    "bulk_update": "int",
    "update": "int",
    "delete": "tuple[int, dict[str, int]]",
}


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
    writes: int = 0  # writes the body does: more than one runs in a transaction
    longer_name: str = ""  # the name to fall back on when another query took ``name``

    @property
    def signature_key(self) -> tuple:
        """Two uses with this key are one method (the views may pass the values differently)."""
        return (self.name, tuple(self.body), tuple(p.name for p in self.params))

    def origin(self) -> str:
        places = sorted({f"{u.file}:{u.line} ({u.view})" for u in self.uses})
        return ", ".join(places)

    def describe(self) -> str:
        """The docstring: where the code came from, and what the views keep."""
        text = [f"Moved from {self.origin()}."]
        implicit = sorted({f"{u.view.split('.')[0]} (a {u.generic})" for u in self.uses if u.implicit})
        if implicit:
            text.append(f"Done implicitly by {', '.join(implicit)}.")
        paginated = sorted({str(u.paginate_by) for u in self.uses if u.paginate_by})
        if paginated:
            text.append(f"A queryset, so the view's pagination (paginate_by = {', '.join(paginated)}) keeps working.")
        return " ".join(text + self._kept())

    def _kept(self) -> list[str]:
        text = []
        if self.operation == "form_save" and self.form is not None:
            text.append(f"{self.form.name}.save() does the writes; they run in one transaction here.")
        kept = sorted({u.access for u in self.uses if u.access})
        if kept:
            text.append(f"The view keeps its access rule ({'; '.join(kept)}).")
        return text

    def signature(self) -> list[str]:
        params = [f"{p.name}: {p.annotation}" if p.annotation else p.name for p in self.params]
        ret = f" -> {self.returns}" if self.returns else ""
        sig = f"def {self.name}(self" + (", *, " + ", ".join(params) if params else "") + ")"
        if len(sig) + len(ret) + 5 <= 100 or not params:
            return [f"    {sig}{ret}:"]
        head = [f"    def {self.name}(", "        self,", "        *,"]
        return head + [f"        {p}," for p in params] + [f"    ){ret}:"]

    def source(self) -> list[str]:
        doc = textwrap.wrap(self.doc or self.describe(), width=88)
        doc[0] = '"""' + doc[0]
        doc[-1] += '"""'
        body = [f"        {line}" if line else "" for line in self.body]
        return self.signature() + [f"        {line}" for line in doc] + body


@dataclass
class _Job:
    """One use being turned into a method: what the builders share."""

    use: OrmUse
    scanner: ViewScanner
    lifter: Lifter
    params: ParamSet
    noun: str
    method: Method

    def lift(self, node: ast.AST) -> str:
        return ast.unparse(self.lifter.lift(node))

    def lift_assignment(self, stmt: ast.stmt) -> str:
        """``post.author = request.user`` moved into the service: the value passes as ``author``."""
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        self.lifter.prefer(stmt.value, target.attr)
        return self.lift(stmt)


def _writing(lines: list[str], writes: int) -> list[str]:
    """Several writes run in one transaction; a single one needs none."""
    if writes <= 1:
        return lines
    return ["with transaction.atomic():", *(f"    {part}" for line in lines for part in line.split("\n"))]


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
        service_class: tuple[str, str] | None = None,
    ):
        self.not_found = not_found  # (module, name) of the error a missing row raises
        self.scanners = scanners  # by shown file path: the scanner that read it (imports, models)
        self.texts = texts
        self.service_var = service_var
        self.provide = provide  # the injection marker's id, e.g. "shop.shop_service"
        self.field_info = field_info  # (label, lookup) -> (field, path, lookup) or None
        self.target = Target(service_var, provide, not_found, service_class)
        self.imports = Imports()
        self.methods: list[Method] = []
        self.changes: list[ViewChange] = []
        self._names: set[str] = set()
        resolver = next((s.resolver for s in scanners.values()), None)
        self.by_label = getattr(resolver, "by_label", None) or (lambda label: None)
        self.namer = QueryNamer(self.by_label)

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
            method.name = self._unique(method)
        self._names.add(method.name)
        self.methods.append(method)
        self.changes.append(self._change(use, method))
        return method

    def _unique(self, method: Method) -> str:
        if method.longer_name and method.longer_name not in self._names:
            return method.longer_name
        n = 2
        while f"{method.name}_{n}" in self._names:
            n += 1
        return f"{method.name}_{n}"

    # one use -> one method
    def _build(self, use: OrmUse, scanner: ViewScanner) -> Method:
        job = self._job(use, scanner)
        method = job.method
        returns = BUILDERS[use.via](self, job)
        self._import_names(scanner, method, job.params)
        if any(line.startswith("with transaction") for line in method.body):
            self.imports.use("django.db", "transaction")
        method.params = list(job.params)
        method.returns = returns
        for p in method.params:
            if p.model is not None and p.annotation is None:
                p.annotation = self._model_local(p.model)
        self._annotate(method)
        # split multi-line entries so indentation stays right
        method.body = [part for line in method.body for part in line.split("\n")]
        return method

    def _job(self, use: OrmUse, scanner: ViewScanner) -> _Job:
        reserved = RESERVED | {self.not_found[1]} | (FORM_LOCALS if use.via == "form" else set())
        params = ParamSet(reserved)
        lifter = Lifter(
            kept=set(scanner.imports) | set(scanner.model_aliases),
            function_locals=function_locals(use.function) if use.function is not None else set(),
            instances=dict(_instances_of(use)),
            params=params,
            text="" if use.implicit else self.texts.get(use.file, ""),  # implicit code has no text
        )
        for node in [use.expr, *use.moved, *use.then]:
            params.reserved |= lifter.kept_names(node)
        method = Method(name="", operation=use.operation, model=use.model, params=[], returns=None, body=[], uses=[use])
        method.writes = use.writes if use.kind == "write" else 0
        noun = snake(use.model.name) if use.model else "record"
        return _Job(use, scanner, lifter, params, noun, method)

    # one builder per kind of use: each fills the method's name and body, returns the return type
    def _from_manager(self, job: _Job) -> str | None:
        use, method = job.use, job.method
        expr = job.lifter.lift(use.expr)
        if isinstance(expr, ast.Attribute):  # a bare manager handed around: its queryset
            expr = ast.Call(func=ast.Attribute(value=expr, attr="all", ctx=ast.Load()), args=[], keywords=[])
        method.body.append(f"return {ast.unparse(expr)}")
        method.name, method.longer_name = self.namer.name(use.operation, use.model, use.expr)
        method.query = (use.expr, job.scanner, None)
        return self._returns(use.operation, use.model)

    def _from_shortcut(self, job: _Job) -> str | None:
        """``get_object_or_404(Order, ...)`` becomes ``Order.objects.get(...)`` raising NotFound."""
        use, method, model = job.use, job.method, job.use.model
        call: ast.Call = use.expr
        first = call.args[0]
        model_local = self._model_local(model)
        query = first  # a queryset: get_object_or_404(Order.objects.filter(...), pk=pk)
        if job.scanner.model_of(first) is not None or use.implicit:
            query = ast.Attribute(value=ast.Name(id=model_local, ctx=ast.Load()), attr=model.default_manager)
        for keyword in call.keywords:  # ``pk=self.kwargs[self.pk_url_kwarg]``: the ``pk`` the URL gave
            if (
                keyword.arg
                and isinstance(keyword.value, ast.Subscript)
                and not isinstance(keyword.value.slice, ast.Constant)
            ):
                job.params.add(ast.unparse(keyword.value), keyword.arg)
        verb = "get" if use.operation == "get_or_404" else "filter"
        rebuilt = ast.fix_missing_locations(
            ast.Call(func=ast.Attribute(value=query, attr=verb), args=list(call.args[1:]), keywords=list(call.keywords))
        )
        code = job.lift(rebuilt)
        not_found = self.imports.use(*self.not_found)
        message = f"No {model.spoken} matches the given query."
        method.query = (rebuilt, job.scanner, None)
        method.name, method.longer_name = self.namer.name(use.operation, model, rebuilt)
        if use.operation == "get_or_404":
            method.body += [
                "try:",
                f"    return {code}",
                f"except {model_local}.DoesNotExist:",
                f"    raise {not_found}({message!r}) from None",
            ]
            return model_local
        method.body += [f"rows = list({code})", "if not rows:", f"    raise {not_found}({message!r})", "return rows"]
        return f"list[{model_local}]"

    def _from_instance(self, job: _Job) -> str | None:
        """``order.save()`` (with the ``order.x = ...`` lines before it and the writes after it) or ``.delete()``."""
        use, method = job.use, job.method
        call_code = job.lift(use.expr)
        if use.operation != "save":
            method.body += _writing([call_code], method.writes)
            method.name = f"delete_{job.noun}"
            return "None"
        param = next(p for p in job.params if p.key == use.receiver)
        moved = [job.lift_assignment(stmt) for stmt in use.moved]
        then = [job.lift(stmt) for stmt in self._then(job)]
        method.body += _writing([*moved, call_code, *then], method.writes)
        method.body.append(f"return {param.name}")
        assigned = [_moved_value(job, stmt) for stmt in use.moved]
        method.name = save_name(job.noun, new_instance=use.new_instance, assigned=assigned)
        return self._model_local(use.model)

    def _then(self, job: _Job) -> list[ast.stmt]:
        """The writes after the save; ``form.save_m2m()`` is the form's many-to-many fields ``set()``."""
        found = []
        for stmt in job.use.then:
            call = stmt.value
            if call.func.attr != "save_m2m" or job.use.form is None:
                found.append(stmt)
                continue
            form_var = ast.unparse(call.func.value)
            for name in job.use.form.many_to_many:
                value = f"{form_var}.cleaned_data[{name!r}]"
                shown = f'{form_var}.cleaned_data["{name}"]'
                param = job.params.add(value, name, shown=shown)
                param.feeds = (job.use.model.label, name)
                found.append(ast.parse(f"{job.use.receiver}.{name}.set({value})").body[0])
        return found

    def _from_related(self, job: _Job) -> str | None:
        """``order.lines.create(...)``, ``post.tags.add(tag)``; ``question.choice_set.get(...)`` reads."""
        use, method = job.use, job.method
        method.related_attr = use.related_attr
        method.related_model = use.related_model
        method.query = (use.expr, job.scanner, use.related_model)
        if not use.operation.startswith("related_"):
            return self._related_read(job)
        expr = job.lifter.lift(use.expr)
        verb = use.operation.removeprefix("related_")
        if verb == "create":
            method.body.append(f"return {ast.unparse(expr)}")
            method.name = f"create_{related_noun(job.noun, use.related_attr, use.related_model)}"
            return self._model_local(use.related_model) if use.related_model else None
        method.body.append(ast.unparse(expr))
        attr = use.related_attr
        method.name = f"{verb}_{job.noun}_{singular(attr) if verb in ('add', 'remove') else attr}"
        _rows_of(job.params, expr.args, use.related_model)
        return "None"

    def _related_read(self, job: _Job) -> str | None:
        use, method = job.use, job.method
        owner = use.instances.get(use.receiver)
        noun = related_noun(snake(owner.name) if owner else "record", use.related_attr, use.related_model)
        method.body.append(f"return {job.lift(use.expr)}")
        method.name, method.longer_name = self.namer.name(use.operation, use.model, use.expr, noun=noun)
        return self._returns(use.operation, use.model)

    def _from_method(self, job: _Job) -> str | None:
        """``notification.mark_as_read()``: the service calls the model method that writes."""
        use, method = job.use, job.method
        code = job.lift(use.expr)
        method.name = method_name(use.expr.func.attr, job.noun)
        if isinstance(use.statement, ast.Expr) and use.statement.value is use.expr:
            method.body += _writing([code], method.writes)
            return "None"
        method.body += _writing([f"result = {code}"], method.writes) + ["return result"]
        return None

    def _from_form(self, job: _Job) -> str | None:
        """A ModelForm's ``save()``: the service takes the cleaned data (and the instance it edits)."""
        use, method = job.use, job.method
        form = use.form
        method.form = form
        model_local = self._model_local(use.model)
        if use.operation == "form_save":
            return self._form_save(job, model_local)
        data = job.params.add(f"{use.form_variable}.cleaned_data", "data", form=form)
        data.annotation = "dict"
        plain = tuple(f for f in form.fields if f not in form.many_to_many) + form.many_to_many
        method.body += [
            *_names_tuple(plain),
            "fields = {name: data[name] for name in names if name in data}",
            *(f"{m} = fields.pop({m!r}, None)" for m in form.many_to_many),
        ]
        extra = self._instance_values(job)
        method.writes = 1 + len(form.many_to_many)
        if use.operation == "form_update":
            var = job.params.add(ast.unparse(use.form_instance), _instance_name(use.form_instance, job.noun))
            var.model = use.model
            saving = [
                "for name, value in fields.items():",
                f"    setattr({var.name}, name, value)",
                *(f"{var.name}.{attr} = {value}" for attr, value in extra),
                f"{var.name}.save()",
            ]
            var = var.name
            method.name = f"update_{job.noun}"
        else:
            var = job.noun
            values = "".join(f", {attr}={value}" for attr, value in extra)
            saving = [f"{var} = {model_local}.{use.model.default_manager}.create(**fields{values})"]
            method.name = f"create_{job.noun}"
        sets = [f"if {m} is not None:\n    {var}.{m}.set({m})" for m in form.many_to_many]
        method.body += _writing(saving + sets, method.writes) + [f"return {var}"]
        return model_local

    def _form_save(self, job: _Job, model_local: str) -> str:
        """The form's own ``save()`` does more than save the model: the service runs it, whole."""
        use, method = job.use, job.method
        form = job.params.add(use.form_variable, "form")
        if use.form.module:
            form.annotation = self.imports.use(use.form.module, use.form.name)
        lines = [f"{form.name}.instance.{attr} = {value}" for attr, value in self._instance_values(job)]
        method.writes = 2
        method.body += _writing([*lines, f"return {form.name}.save()"], method.writes)
        method.name = f"{'update' if use.form_instance is not None else 'create'}_{job.noun}"
        return model_local

    def _instance_values(self, job: _Job) -> list[tuple[str, str]]:
        """``form.instance.author = self.request.user`` moved with the save: (``author``, ``user``)."""
        found = []
        for stmt in job.use.moved:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
            job.lifter.prefer(stmt.value, target.attr)
            value = job.lift(stmt.value)
            param = job.params.by_name(value)
            if param is not None and param.feeds is None:
                param.feeds = (job.use.model.label, target.attr)
            found.append((target.attr, value))
        return found

    def _returns(self, op: str, model: ModelRef | None) -> str | None:
        if model is None:
            return None
        local = self._model_local(model)
        if op == "list":
            return f"{self.imports.use('django.db.models', 'QuerySet')}[{local}]"
        if op == "values":
            return self.imports.use("django.db.models", "QuerySet")
        if op in RETURNS:
            return RETURNS[op]
        if op in ("first", "last"):
            return f"{local} | None"
        if op in ("get_or_create", "update_or_create"):
            return f"tuple[{local}, bool]"
        if op == "bulk_create":
            return f"list[{local}]"
        return local if op in ("get", "latest", "earliest", "create") else None

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
            if info is not None and info[0] is not None:
                p.annotation = _annotation(*info) or self._related_annotation(*info)

    def _related_annotation(self, found, path, lookup) -> str | None:
        """``filter(borrower=user)``: ``user`` is a row of the related model (not ``borrower_id=...``)."""
        related = getattr(found, "related_model", None)
        if lookup != "exact" or related is None or isinstance(related, str) or found.many_to_many:
            return None
        if path and path[-1] != found.name:
            return None
        ref = self.by_label(related._meta.label)
        return self._model_local(ref) if ref is not None else None

    # what a query compares, for types and tests
    def finalize(self) -> None:
        """Parameters are known only once lifting is done: now read what each one feeds."""
        for method in self.methods:
            _assigned_feeds(method)
            if method.query is not None:
                _read_query(method)
            self._annotate(method)

    # the view's side
    def _change(self, use: OrmUse, method: Method) -> ViewChange:
        args = ", ".join(f"{p.name}={p.source}" for p in method.params)
        call = f"{self.service_var}.{method.name}({args})"
        return view_change(use, method.name, call, self.texts[use.file], self.target)

    def render_class(self, class_name: str, doc: str) -> list[str]:
        out = [f"class {class_name}:", f'    """{doc}"""']
        for method in self.methods:
            out.append("")
            out.extend(method.source())
        return out


BUILDERS = {
    "manager": ServiceBuilder._from_manager,
    "shortcut": ServiceBuilder._from_shortcut,
    "instance": ServiceBuilder._from_instance,
    "related": ServiceBuilder._from_related,
    "form": ServiceBuilder._from_form,
    "method": ServiceBuilder._from_method,
}


def _moved_value(job: _Job, stmt: ast.stmt) -> tuple[str, ast.AST, object]:
    """``order.status = x`` moved with a save: what the test checks, and (attr, value, operator) for the name."""
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
    operator = stmt.op if isinstance(stmt, ast.AugAssign) else None
    if stmt.value is not None:
        job.method.assigned[target.attr] = _assigned(
            job.lifter.lift(stmt.value),
            job.scanner,
            added=isinstance(operator, ast.Add),
            augmented=operator is not None,
        )
    return target.attr, stmt.value, operator


def _rows_of(params: ParamSet, args: list[ast.AST], model: ModelRef | None) -> None:
    """``post.tags.add(tag)``: what is added or removed is a row of the related model."""
    for arg in args:
        param = params.by_name(arg.id) if isinstance(arg, ast.Name) and model is not None else None
        if param is not None and param.model is None:
            param.model = model


def _names_tuple(names: tuple[str, ...]) -> list[str]:
    """``names = ("title", "slug")`` (one name a line when that is too long for one line)."""
    line = f"names = {names!r}"
    if len(line) <= 80:
        return [line]
    return ["names = (", *(f"    {n!r}," for n in names), ")"]


def _annotation(found, _path, lookup) -> str | None:
    if lookup == "in":
        return "list"
    if lookup == "isnull":
        return "bool"
    if lookup in TYPED_LOOKUPS and not found.is_relation:
        return PY_TYPES.get(found.get_internal_type())
    return None


def _read_query(method: Method) -> None:
    """What each parameter is compared with, the literal filters, and whether one row must match."""
    original, scanner, owner_override = method.query
    by_source = {p.key or p.source: p for p in method.params}
    strong = True
    constants: dict[str, object] = {}
    for call, owner in _lookup_calls(original, scanner, owner_override):
        strong = strong and _plain_call(call)
        for kw in call.keywords:
            strong = _read_keyword(kw, owner, method, by_source, constants) and strong
    method.lookups = constants
    method.strong = strong and method.model is not None


def _plain_call(call: ast.Call) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    return name != "exclude" and (not call.args or name in NOT_STRONG)


def _read_keyword(kw: ast.keyword, owner, method: Method, by_source: dict, constants: dict) -> bool:
    """Record what the keyword compares; False when no row made for a test can be sure to match."""
    if kw.arg is None:
        return False
    param = by_source.get(ast.unparse(kw.value))
    if param is not None and owner is not None:
        param.feeds = param.feeds or (owner.label, kw.arg)
        return True
    if owner is not method.model:
        return True
    if isinstance(kw.value, ast.Constant):
        constants[kw.arg] = kw.value.value
        return True
    return False


def _assigned_feeds(method: Method) -> None:
    """``order.status = status`` moved with a save: ``status`` is a value of ``Order.status``."""
    for attr, value in list(method.assigned.items()):
        if isinstance(value, Assigned) and value.param_name:
            param = next((p for p in method.params if p.name == value.param_name), None)
            if param is not None:
                param.feeds = param.feeds or (method.model.label, attr)
                value.param = param


def _instances_of(use: OrmUse):
    yield from use.instances.items()
    if use.receiver and use.model is not None and use.via != "related":
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


def _chain_model(func: ast.AST, scanner: ViewScanner) -> ModelRef | None:
    current = func.value if isinstance(func, ast.Attribute) else None
    while isinstance(current, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(current, ast.Attribute):
            model = scanner.model_of(current.value)
            if model is not None and current.attr in model.managers:
                return model
            current = current.value
        else:
            current = current.func if isinstance(current, ast.Call) else current.value
    return None


def _lookup_calls(node: ast.AST, scanner: ViewScanner, owner_override: ModelRef | None):
    """(call, model) for every call whose keywords are lookups or fields of a model."""
    found = []

    def walk(current: ast.AST, owner: ModelRef | None) -> None:
        if isinstance(current, ast.Call):
            model = _chain_model(current.func, scanner) or _overridden(current, owner_override)
            if model is not None:
                found.append((current, model))
                owner = model
            elif getattr(current.func, "id", None) == "Q" and owner is not None:
                found.append((current, owner))
        for child in ast.iter_child_nodes(current):
            walk(child, owner)

    walk(node, None)
    return found


def _overridden(call: ast.Call, owner_override: ModelRef | None) -> ModelRef | None:
    """Calls on a related manager (``order.lines.create(...)``) compare fields of the related model."""
    func = call.func
    if owner_override is not None and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute):
        return owner_override
    return None
