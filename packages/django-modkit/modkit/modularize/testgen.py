"""The generated tests of a migrated app's service: what each method does, on the test database.

One test per behaviour of a method, named by it (``test_count_available_copies_counts_only_matching_rows``).
A read gets rows made for it (:mod:`~modkit.modularize.testrows`): one that satisfies the model
and every filter of the query, and rows that miss one filter each, so the test asserts the method
returns exactly the matching row (or counts it, or finds it exists). A write asserts the database
changed as the method says. Where a filter cannot be satisfied by a made row (a custom manager
method, ``exclude()``, a value computed in the view) the test asserts the kind of answer only.
A method whose arguments cannot be derived is named in the file's docstring as not exercised,
never skipped in silence; so is a method of an operation this module does not know.

Each operation kind has its own small writer in :data:`KINDS`.
"""

import ast
import copy
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps

from modkit.modularize.naming import Imports, snake
from modkit.modularize.resolver import model_ref
from modkit.modularize.servicegen import Assigned, Method
from modkit.modularize.testcode import WIDTH, Names, call, literal
from modkit.modularize.testrows import (
    Constraint,
    NoRow,
    RowBuilder,
    Rows,
    bound_value,
    clock_constraint,
    constant_constraint,
    initial_value,
    plain_value,
)

FILTER_CALLS = {"filter", "get"}
CLOCK_CALLS = {"now", "today", "localdate", "localtime"}  # timezone.now(), date.today()...
POSITIONAL_OK = {"order_by", "select_related", "prefetch_related", "only", "defer", "values", "values_list"}
POSITIONAL_OK |= {"latest", "earliest", "using"}
LONGEST_NAME = WIDTH - len("    def (self):")
MADE = re.compile(r"^(\w+) = (?:make|build)\(")
# Calls a query may chain and still be read by the generator; anything else (a custom manager
# or queryset method, ``none()``) hides filters, so its test asserts the kind of answer only.
QUERYSET_API = {
    "all",
    "filter",
    "order_by",
    "reverse",
    "distinct",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "using",
    "values",
    "values_list",
    "select_for_update",
    "get",
    "first",
    "last",
    "latest",
    "earliest",
    "count",
    "exists",
    "aggregate",
    "in_bulk",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
    "add",
    "remove",
    "set",
    "clear",
}


@dataclass
class Case:
    """One test method: its name and its body (lines, not indented)."""

    __test__ = False
    name: str
    lines: list[str]


@dataclass
class TestFile:
    __test__ = False
    cases: list[Case] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)


class Underivable(Exception):
    """No value could be derived for a parameter: the method is listed as not exercised, and why."""


@dataclass
class Scene:
    """What a test sets up before calling the method: parameter values and rows."""

    args: list[str]  # ``param=variable`` for the call
    values: list[str]  # lines giving the parameters their values
    rows: Rows = field(default_factory=Rows)
    after: list[str] = field(default_factory=list)  # parameters taken from the row (its key)
    vars: dict[str, str] = field(default_factory=dict)  # parameter -> variable

    def lines(self) -> list[str]:
        return self.values + self.rows.setup + self.rows.row + self.rows.others + self.after


class TestWriter:
    """Collects the tests of one service, method by method (``add``), into ``result``."""

    __test__ = False

    def __init__(self, *, imports: Imports, field_info, not_found: tuple[str, str], service_var: str = "service"):
        self.imports = imports
        self.not_found = not_found
        self.field_info = field_info  # (label, lookup) -> (field, path, lookup) | None
        self.service = service_var
        self.result = TestFile()

    # names in the test file (the row builder's context)
    def model(self, ref) -> str:
        return self.imports.use(ref.module, ref.name)

    def model_class(self, model) -> str:
        return self.model(model_ref(model))

    def use(self, module: str, name: str | None = None) -> str:
        return self.imports.use(module, name)

    def not_found_error(self) -> str:
        return self.imports.use(*self.not_found)

    # one method
    def add(self, method: Method) -> None:
        write = KINDS.get(method.operation)
        if method.model is None:
            self.result.untested.append(f"{method.name} (no model)")
            return
        if write is None:
            self.result.untested.append(f"{method.name} (operation {method.operation!r} is not covered)")
            return
        try:
            with self.tentative():
                cases = write(self, method)
        except Underivable as exc:
            self.result.untested.append(f"{method.name} ({exc})")
            return
        taken = {case.name for case in self.result.cases}
        for case in cases:  # names cut to the line length may meet
            base, n = case.name, 2
            while case.name in taken:
                case.name, n = f"{base[: LONGEST_NAME - 3]}_{n}", n + 1
            taken.add(case.name)
            self.result.cases.append(case)

    @contextmanager
    def tentative(self):
        """Imports made while trying something that fails are taken back (no unused import)."""
        saved = copy.deepcopy(self.imports.__dict__)
        try:
            yield
        except (NoRow, Underivable):
            self.imports.__dict__.clear()
            self.imports.__dict__.update(saved)
            raise

    def invoke(self, method: Method, scene: Scene, *, prefix: str = "result = ", indent: int = 8) -> str:
        return call(f"self.{self.service}.{method.name}", scene.args, prefix=prefix, indent=indent)

    def info(self, feeds):
        found = self.field_info(*feeds) if feeds else None
        return found if found is not None and found[0] is not None else None

    # scenes
    def query_plan(self, method: Method, *, filters: dict | None = None, skip: frozenset[str] = frozenset()):
        """The rows and values of a read the generator can follow; raises NoRow otherwise."""
        if _opaque(method):
            raise NoRow("the query hides its filters")
        clocks = {} if method.strong else _clock_filters(method)
        return QueryPlan(self, method, method.lookups if filters is None else filters, skip, clocks)

    def strong(self, method: Method, **options):
        try:
            with self.tentative():
                return self.query_plan(method, **options)
        except NoRow:
            return None

    def plain_scene(self, method: Method, *, row: str | None = None) -> Scene:
        """Values for every parameter, none tied to a row; ``row``: make/build the instance it acts on."""
        names = Names()
        scene = Scene(args=[], values=[])
        missing = []
        receiver = None  # the parameter that is the row (the first instance of the method's model)
        for param in method.params:
            var = names.take(param.name)
            if row and receiver is None and _of_model(param, method):
                receiver = param.name
                scene.args.append(f"{param.name}=row")
                scene.vars[param.name] = "row"
                continue
            code = self.plain(method, param)
            if code is None:
                missing.append(param.name)
                continue
            scene.values.append(f"{var} = {code}")
            scene.args.append(f"{param.name}={var}")
            scene.vars[param.name] = var
        if missing:
            raise Underivable(f"no value for {', '.join(missing)}")
        if row and receiver is None:
            raise Underivable("no instance for it to act on")
        if row is not None:
            scene.rows.row = [f"row = {row}({self.model(method.model)})"]
        return scene

    def plain(self, method: Method, param) -> str | None:
        """A value for ``param`` that no row has to match: a made row, the form's data, a sample."""
        if param.form is not None:
            model = self.model(param.form.model)
            items = "".join(f"\n    {name!r}: sample({model}, {name!r})," for name in param.form.fields)
            return "{" + items + "\n}"
        info = self.info(param.feeds)
        if param.model is not None:
            code = f"make({self.model(param.model)})"
        else:
            code = plain_value(self, info) if info else None
        return f"[{code}]" if code and _many(method, param, info) else code

    def weak_scene(self, method: Method) -> Scene:
        """The parameters' values and a row of the model: the test asserts the kind of answer."""
        scene = self.plain_scene(method)
        scene.rows.row = [f"make({self.model(method.model)})"]
        return scene


class QueryPlan:
    """A read's constraints on the row it must find, from its constant filters and its parameters."""

    def __init__(self, writer: TestWriter, method: Method, filters: dict, skip: frozenset[str], clocks=()):
        self.writer = writer
        self.method = method
        self.model = apps.get_model(method.model.label)
        self.names = Names()
        self.scene = Scene(args=[], values=[])
        self.constraints: list[Constraint] = []
        self.key = False
        filtering = _filter_keywords(method)
        for lookup, value in filters.items():
            if filtering is not None and lookup not in filtering:
                continue  # ``values_list("name", flat=True)``: an option, not a filter
            info = writer.field_info(method.model.label, lookup) or (None, [], lookup)
            self.constraints.append(constant_constraint(writer, info, value))
        for lookup in clocks:
            self.constraints.append(clock_constraint(writer, writer.field_info(method.model.label, lookup)))
        for param in method.params:
            self._param(param, skip)

    def _param(self, param, skip) -> None:
        var = self.names.take(param.name)
        self.scene.args.append(f"{param.name}={var}")
        self.scene.vars[param.name] = var
        if param.name in skip:
            code = self.writer.plain(self.method, param)
            if code is None:
                raise NoRow(f"no value for {param.name}")
            self.scene.values.append(f"{var} = {code}")
            return
        if self._owner(param):
            self.scene.values.append(f"{var} = make({self.writer.model(param.model)})")
            self.constraints.append(Constraint([self.method.related_attr], var, None, True, link=True))
            return
        feeds = param.feeds
        if not (feeds and feeds[0] == self.method.model.label):
            raise NoRow(f"{param.name} is not compared with a field of the row")
        bound = bound_value(self.writer, self.model, self.writer.field_info(*feeds) or (None, [], ""), var)
        if bound.value is not None:
            self.scene.values.append(f"{var} = {bound.value}")
        if bound.from_row:
            self.scene.after.append(f"{var} = {bound.from_row}")
            self.key = True
        if bound.constraint:
            self.constraints.append(bound.constraint)

    def _owner(self, param) -> bool:
        """The instance whose related manager the query reads (``question.choice_set.get(...)``)."""
        method = self.method
        return bool(
            method.related_attr
            and param.model is not None
            and param.model.label != method.model.label
            and not any(c.link for c in self.constraints)
        )

    @property
    def fresh(self) -> bool:
        return self.key or any(c.fresh for c in self.constraints)

    def build(self, *, name_others: bool = False) -> Scene:
        builder = RowBuilder(self.writer, self.model, self.names)
        self.scene.rows = builder.build(self.constraints, key=self.key, name_others=name_others)
        return self.scene


def _of_model(param, method: Method) -> bool:
    """The parameter holds an instance of the method's model."""
    return param.model is not None and param.model.label == method.model.label


def _many(method: Method, param, info) -> bool:
    """The parameter is a list of rows: what ``.set()`` takes (``post.tags.set(tags)``, ``related_set``)."""
    if method.operation == "related_set" and param.model is not None and param.model == method.related_model:
        return True
    if not (info and info[0].many_to_many and info[2] == "exact"):
        return False
    return re.search(rf"\.set\({param.name}\)|\*{param.name}\b", "\n".join(method.body)) is not None


def _spine(method: Method) -> Iterator[ast.Call]:
    """The calls of the query's chain, outermost first (not the calls in their arguments)."""
    node = method.query[0] if method.query else None
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Call):
            yield node
            node = node.func
        else:
            node = node.value


def _filter_keywords(method: Method) -> set[str] | None:
    """The keywords of the query's ``filter()`` and ``get()`` calls (None: no query to read)."""
    if method.query is None:
        return None
    calls = [c for c in _spine(method) if isinstance(c.func, ast.Attribute) and c.func.attr in FILTER_CALLS]
    return {kw.arg for c in calls for kw in c.keywords if kw.arg}


def _opaque(method: Method) -> bool:
    """The query calls something other than the QuerySet API (a custom manager method...)."""
    return any(isinstance(c.func, ast.Attribute) and c.func.attr not in QUERYSET_API for c in _spine(method))


def _clock_filters(method: Method) -> list[str]:
    """``pub_date__lte=timezone.now()``: the lookups compared with the clock, when only they keep the
    query from being followed (its other filters are literals and parameters); NoRow otherwise."""
    sources = {p.key or p.source for p in method.params}
    clocks = []
    for node in _spine(method):
        _followable(node)
        clocks += [kw.arg for kw in node.keywords if _known_value(kw, sources) == "clock"]
    if not clocks:
        raise NoRow("the query compares values computed in the view")
    return clocks


def _followable(node: ast.Call) -> None:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if name == "exclude" or (node.args and name not in POSITIONAL_OK):
        raise NoRow(f"{name}() with positional arguments")


def _known_value(kw: ast.keyword, sources: set[str]) -> str:
    value = kw.value
    if isinstance(value, ast.Constant) or ast.unparse(value) in sources:
        return "known"
    if kw.arg and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and not value.args:
        if value.func.attr in CLOCK_CALLS:
            return "clock"
    raise NoRow(f"{kw.arg or '**'} is computed in the view")


def _test(method: Method, behaviour: str, lines: list[str]) -> Case:
    name = f"test_{method.name}_{behaviour}"
    if len(name) > LONGEST_NAME:  # ``    def <name>(self):`` stays within the line length
        name = name[:LONGEST_NAME].rstrip("_")
    return Case(name, _unnamed_if_unused(lines))


def _unnamed_if_unused(lines: list[str]) -> list[str]:
    """``row = make(Book)`` becomes ``make(Book)`` when the test never uses ``row`` again."""
    text = "\n".join(lines)
    kept = []
    for line in lines:
        found = MADE.match(line)
        if found and len(re.findall(rf"\b{found[1]}\b", text)) == 1:
            line = line[found.end(1) + 3 :]
        kept.append(line)
    return kept


def _assert(check: str, *args: str, indent: int = 8) -> str:
    return call(f"self.{check}", list(args), indent=indent)


def _indented(code: str) -> str:
    return "\n".join(f"    {line}" for line in code.split("\n"))


# reads
def _errors(writer: TestWriter, method: Method) -> str | None:
    """What the method raises when nothing matches (None: it returns None)."""
    op = method.operation
    if op in ("get_or_404", "list_or_404") or any(line.lstrip().startswith("raise ") for line in method.body):
        return writer.not_found_error()
    if op in ("get", "latest", "earliest"):
        return f"{writer.model(method.model)}.DoesNotExist"
    return None


def _not_found_case(writer: TestWriter, method: Method, plan: QueryPlan) -> Case:
    lines = plan.build().lines() + ["row.delete()", f"with self.assertRaises({_errors(writer, method)}):"]
    lines.append(_indented(writer.invoke(method, plan.scene, prefix="", indent=12)))
    return _test(method, "raises_not_found_without_a_match", lines)


def read_one(writer: TestWriter, method: Method) -> list[Case]:
    plan = writer.strong(method)
    if plan is None:
        return [_weak_read(writer, method, "an instance or nothing")]
    scene = plan.build()
    lines = scene.lines() + [writer.invoke(method, scene)]
    cases = []
    if plan.fresh or method.operation in ("get", "get_or_404"):
        cases.append(_test(method, "returns_the_matching_row", lines + [_assert("assertEqual", "result", "row")]))
    else:
        check = _assert("assertIsInstance", "result", writer.model(method.model))
        cases.append(_test(method, "returns_a_matching_row", lines + [check]))
    if plan.fresh and _errors(writer, method):
        cases.append(_not_found_case(writer, method, writer.query_plan(method)))
    return cases


def _weak_read(writer: TestWriter, method: Method, what: str) -> Case:
    scene = writer.weak_scene(method)
    model = writer.model(method.model)
    errors = _errors(writer, method)
    lines = scene.lines()
    if errors:
        lines += ["try:", _indented(writer.invoke(method, scene, indent=12)), f"except {errors}:", "    result = None"]
    else:
        lines.append(writer.invoke(method, scene))
    lines.append(_assert("assertTrue", f"result is None or isinstance(result, {model})"))
    return _test(method, f"returns_{what.replace(' ', '_')}", lines)


def read_many(writer: TestWriter, method: Method) -> list[Case]:
    plan = writer.strong(method)
    model = writer.model(method.model)
    if plan is None:
        scene = writer.weak_scene(method)
        lines = scene.lines()
        if method.operation == "list_or_404":
            call_lines = [_indented(writer.invoke(method, scene, indent=12))]
            lines += ["try:", *call_lines, f"except {writer.not_found_error()}:", "    result = []"]
        else:
            lines.append(writer.invoke(method, scene))
        lines.append(_assert("assertTrue", f"all(isinstance(item, {model}) for item in result)"))
        return [_test(method, f"returns_{snake(model)}_rows", lines)]
    fresh = plan.fresh
    scene = plan.build(name_others=not fresh)
    lines = scene.lines() + [writer.invoke(method, scene)]
    if fresh:
        lines.append(_assert("assertEqual", "list(result)", "[row]"))
    else:
        lines.append(_assert("assertIn", "row", "result"))
        lines += [_assert("assertNotIn", other, "result") for other in scene.rows.other_names]
    behaviour = "returns_only_matching_rows" if plan.constraints or plan.key else "returns_every_row"
    cases = [_test(method, behaviour, lines)]
    if fresh and method.operation == "list_or_404":
        cases.append(_not_found_case(writer, method, writer.query_plan(method)))
    return cases


def count(writer: TestWriter, method: Method) -> list[Case]:
    plan = writer.strong(method)
    if plan is None:
        scene = writer.weak_scene(method)
        lines = scene.lines() + [writer.invoke(method, scene), _assert("assertIsInstance", "result", "int")]
        return [_test(method, "returns_a_count", lines)]
    scene = plan.build()
    behaviour = "counts_only_matching_rows" if plan.constraints or plan.key else "counts_every_row"
    if plan.fresh:
        lines = scene.lines() + [writer.invoke(method, scene), _assert("assertEqual", "result", "1")]
        return [_test(method, behaviour, lines)]
    rows = scene.rows
    lines = scene.values + [writer.invoke(method, scene, prefix="before = ")]
    lines += rows.setup + rows.row + rows.others + scene.after
    lines += [writer.invoke(method, scene), _assert("assertEqual", "result", "before + 1")]
    return [_test(method, behaviour, lines)]


def exists(writer: TestWriter, method: Method) -> list[Case]:
    plan = writer.strong(method)
    if plan is None:
        scene = writer.weak_scene(method)
        lines = scene.lines() + [writer.invoke(method, scene), _assert("assertIsInstance", "result", "bool")]
        return [_test(method, "returns_a_bool", lines)]
    scene = plan.build()
    rows = scene.rows
    lines = scene.values + rows.setup
    if plan.fresh and not scene.after:
        lines += rows.others + [writer.invoke(method, scene, prefix="before = "), _assert("assertFalse", "before")]
        lines += rows.row
    else:
        lines += rows.row + rows.others + scene.after
    lines += [writer.invoke(method, scene), _assert("assertTrue", "result")]
    return [_test(method, "is_true_only_for_a_matching_row", lines)]


def values(writer: TestWriter, method: Method) -> list[Case]:
    plan = writer.strong(method)
    scene = plan.build() if plan else writer.weak_scene(method)
    lines = scene.lines() + [writer.invoke(method, scene)]
    if plan is not None and plan.fresh:
        return [_test(method, "returns_the_matching_row", lines + [_assert("assertEqual", "len(list(result))", "1")])]
    if plan is not None:
        return [_test(method, "returns_the_matching_rows", lines + [_assert("assertTrue", "list(result)")])]
    return [_test(method, "returns_rows", lines + [_assert("assertIsInstance", "list(result)", "list")])]


def mapping(writer: TestWriter, method: Method) -> list[Case]:
    plan = writer.strong(method)
    scene = plan.build() if plan else writer.weak_scene(method)
    lines = scene.lines() + [writer.invoke(method, scene), _assert("assertIsInstance", "result", "dict")]
    return [_test(method, "returns_a_dict", lines)]


# writes through the manager
def _stored(writer: TestWriter, method: Method, scene: Scene, target: str, label: str) -> list[str]:
    """``target``'s fields equal the values the method was given for them (parameters and literals)."""
    checks = []
    for param in method.params:
        attr = _stored_field(writer, param, label)
        if attr and param.name in scene.vars:
            checks.append(_assert("assertEqual", f"{target}.{attr}", scene.vars[param.name]))
    plain = {k: v for k, v in method.lookups.items() if "__" not in k and k != "pk"}
    return checks + [_assert("assertEqual", f"{target}.{k}", literal(v)) for k, v in plain.items()]


def _stored_field(writer: TestWriter, param, label: str) -> str | None:
    """The field of ``label`` the parameter is stored in as it is (``note=note``)."""
    info = writer.info(param.feeds) if param.feeds and param.feeds[0] == label else None
    return info[1][0] if info and len(info[1]) == 1 and info[2] == "exact" else None


def create(writer: TestWriter, method: Method) -> list[Case]:
    scene = writer.plain_scene(method)
    manager = f"{writer.model(method.model)}._default_manager"
    lines = scene.lines() + [writer.invoke(method, scene), f"saved = {manager}.get(pk=result.pk)"]
    lines += _stored(writer, method, scene, "saved", method.model.label)
    return [_test(method, "saves_a_new_row", lines)]


def get_or_create(writer: TestWriter, method: Method) -> list[Case]:
    scene = writer.plain_scene(method)
    created = "created" if method.params else "_created"
    lines = scene.lines()
    lines.append(writer.invoke(method, scene, prefix=f"result, {created} = "))
    lines.append(writer.invoke(method, scene, prefix="again, created_again = "))
    if method.params:
        lines.append(_assert("assertTrue", "created"))
    lines += [_assert("assertFalse", "created_again"), _assert("assertEqual", "again.pk", "result.pk")]
    return [_test(method, "creates_once_then_returns_the_same_row", lines)]


def bulk(writer: TestWriter, method: Method) -> list[Case]:
    scene = writer.plain_scene(method)
    lines = scene.lines() + [writer.invoke(method, scene)]
    if method.operation == "bulk_create":
        return [_test(method, "saves_every_row", lines + [_assert("assertTrue", "all(item.pk for item in result)")])]
    return [_test(method, "returns_the_number_of_rows", lines + [_assert("assertIsInstance", "result", "int")])]


def _update_call(method: Method) -> ast.Call | None:
    node = method.query[0] if method.query else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
        return node
    return None


def _update_parts(method: Method, node: ast.Call) -> tuple[dict, dict]:
    """(filters, assignments) of ``....filter(...).update(...)``: attribute -> literal or parameter."""
    by_source = {p.key or p.source: p for p in method.params}
    assigned = {}
    for kw in (kw for kw in node.keywords if kw.arg is not None):
        if isinstance(kw.value, ast.Constant):
            assigned[kw.arg] = ("literal", kw.value.value)
        else:
            assigned[kw.arg] = ("param", by_source.get(ast.unparse(kw.value)))
    inner = _literal_keywords(node.func.value)
    return {k: inner[k] for k in method.lookups if k in inner}, assigned


def _literal_keywords(node: ast.AST) -> dict:
    """``status="a"`` in the calls of a query: keyword -> literal."""
    found = {}
    for call_node in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        found |= {kw.arg: kw.value.value for kw in call_node.keywords if kw.arg and isinstance(kw.value, ast.Constant)}
    return found


def _expected(writer: TestWriter, plan: QueryPlan, assigned: dict) -> dict[str, str]:
    """attribute -> code of the value the update stores; the row starts with another value."""
    expected = {}
    constrained = {c.path[0] for c in plan.constraints}
    for attr, (kind, value) in assigned.items():
        if kind == "literal":
            expected[attr] = literal(value)
            if attr not in constrained:
                plan.constraints += initial_value(writer, writer.info((plan.method.model.label, attr)), value)
        elif value is not None:
            expected[attr] = plan.scene.vars[value.name]
    return expected


def update(writer: TestWriter, method: Method) -> list[Case]:
    node = _update_call(method)
    filters, assigned = _update_parts(method, node) if node else (method.lookups, {})
    skip = frozenset(p.name for kind, p in assigned.values() if kind == "param" and p is not None)
    plan = writer.strong(method, filters=filters, skip=skip)
    if plan is None:
        scene = writer.plain_scene(method)
        lines = scene.lines() + [writer.invoke(method, scene), _assert("assertIsInstance", "result", "int")]
        return [_test(method, "returns_the_number_of_rows", lines)]
    expected = _expected(writer, plan, assigned)
    scene = plan.build(name_others=True)
    manager = f"{writer.model(method.model)}._default_manager"
    lines = scene.lines() + [writer.invoke(method, scene)]
    lines.append(_assert("assertEqual" if plan.fresh else "assertGreaterEqual", "result", "1"))
    lines.append("row.refresh_from_db()")
    lines += [_assert("assertEqual", f"row.{attr}", code) for attr, code in expected.items()]
    for other in scene.rows.other_names:
        lines += [
            _assert("assertEqual", f"{manager}.get(pk={other}.pk).{attr}", f"{other}.{attr}") for attr in expected
        ]
    return [_test(method, "changes_only_matching_rows", lines)]


def delete(writer: TestWriter, method: Method) -> list[Case]:
    manager = f"{writer.model(method.model)}._default_manager"
    if method.uses and method.uses[0].via != "manager":
        scene = writer.plain_scene(method, row="make")
        lines = scene.lines() + [writer.invoke(method, scene, prefix="")]
        lines.append(_assert("assertFalse", f"{manager}.filter(pk=row.pk).exists()"))
        return [_test(method, "deletes_the_row", lines)]
    plan = writer.strong(method)
    if plan is None:
        scene = writer.weak_scene(method)
        lines = scene.lines() + [writer.invoke(method, scene, prefix="deleted, _per_model = ")]
        return [_test(method, "returns_the_number_deleted", lines + [_assert("assertIsInstance", "deleted", "int")])]
    scene = plan.build(name_others=True)
    lines = scene.lines() + [writer.invoke(method, scene, prefix="")]
    lines.append(_assert("assertFalse", f"{manager}.filter(pk=row.pk).exists()"))
    lines += [_assert("assertTrue", f"{manager}.filter(pk={other}.pk).exists()") for other in scene.rows.other_names]
    return [_test(method, "deletes_only_matching_rows", lines)]


# writes on an instance
def _sums(method: Method) -> list[str]:
    """Attributes the save adds a parameter to (``product.stock += quantity``)."""
    return [a for a, v in method.assigned.items() if isinstance(v, Assigned) and v.added and v.param]


def save(writer: TestWriter, method: Method) -> list[Case]:
    new = any(getattr(use, "new_instance", False) for use in method.uses)
    scene = writer.plain_scene(method, row="build" if new else "make")
    sums = _sums(method)
    lines = scene.lines() + [f"{attr}_before = row.{attr}" for attr in sums]
    lines += [writer.invoke(method, scene), "row.refresh_from_db()", _assert("assertEqual", "result.pk", "row.pk")]
    checks = [_assigned_check(writer, scene, attr, value, sums) for attr, value in method.assigned.items()]
    checks += _set_checks(writer, method, scene)
    return [_test(method, "saves_a_new_row" if new else "saves_the_changes", lines + [c for c in checks if c])]


def _set_checks(writer: TestWriter, method: Method, scene: Scene) -> list[str]:
    """``post.tags.set(tags)`` after the save: the row's related rows are the ones given."""
    checks = []
    for param in method.params:
        info = writer.info(param.feeds) if param.feeds and param.feeds[0] == method.model.label else None
        if info and param.name in scene.vars and _many(method, param, info):
            checks.append(_assert("assertEqual", f"list(row.{info[1][0]}.all())", scene.vars[param.name]))
    return checks


def _assigned_check(writer: TestWriter, scene: Scene, attr: str, value, sums: list[str]) -> str | None:
    if not isinstance(value, Assigned):
        return None
    var = scene.vars.get(value.param.name) if value.param is not None else None
    if value.augmented:
        return _assert("assertEqual", f"row.{attr}", f"{attr}_before + {var}") if attr in sums and var else None
    if var:
        return _assert("assertEqual", f"row.{attr}", var)
    if value.has_literal:
        return _assert("assertEqual", f"row.{attr}", literal(value.literal))
    if value.constant is not None:
        return _assert("assertEqual", f"row.{attr}", f"{writer.model(value.constant[0])}.{value.constant[1]}")
    return None


def _form_checks(method: Method, scene: Scene, target: str) -> list[str]:
    data = next((scene.vars[p.name] for p in method.params if p.form is not None), None)
    if data is None or method.form is None:
        return []
    many = method.form.many_to_many
    checks = [_assert("assertEqual", f"{target}.{f}", f"{data}[{f!r}]") for f in method.form.fields if f not in many]
    return checks + [_assert("assertEqual", f"list({target}.{m}.all())", f"{data}[{m!r}]") for m in many]


def form_create(writer: TestWriter, method: Method) -> list[Case]:
    scene = writer.plain_scene(method)
    manager = f"{writer.model(method.model)}._default_manager"
    lines = scene.lines() + [writer.invoke(method, scene), f"saved = {manager}.get(pk=result.pk)"]
    return [_test(method, "saves_the_form_data_as_a_new_row", lines + _form_checks(method, scene, "saved"))]


def form_update(writer: TestWriter, method: Method) -> list[Case]:
    scene = writer.plain_scene(method, row="make")
    lines = scene.lines() + [writer.invoke(method, scene, prefix=""), "row.refresh_from_db()"]
    return [_test(method, "saves_the_form_data_on_the_row", lines + _form_checks(method, scene, "row"))]


def related(writer: TestWriter, method: Method) -> list[Case]:
    scene = writer.plain_scene(method, row="make")
    attr = method.related_attr
    verb = method.operation.removeprefix("related_")
    given = next((scene.vars[p.name] for p in method.params if p.model is not None and p.model != method.model), None)
    lines = scene.lines()
    if verb == "create":
        lines += [writer.invoke(method, scene), _assert("assertIn", "result", f"row.{attr}.all()")]
        label = method.related_model.label if method.related_model else ""
        lines += _stored(writer, method, scene, "result", label)
        return [_test(method, "adds_a_new_related_row", lines)]
    if verb == "remove" and given:
        lines.append(f"row.{attr}.add({given})")
    lines.append(writer.invoke(method, scene, prefix=""))
    behaviour, check = _related_check(verb, attr, given)
    return [_test(method, behaviour, lines + [check])]


def _related_check(verb: str, attr: str, given: str | None) -> tuple[str, str]:
    if verb == "clear":
        return "removes_every_related_row", _assert("assertFalse", f"row.{attr}.exists()")
    if verb == "add" and given:
        return "links_the_row", _assert("assertIn", given, f"row.{attr}.all()")
    if verb == "add":
        return "links_the_row", _assert("assertTrue", f"row.{attr}.exists()")
    if verb == "remove" and given:
        return "unlinks_the_row", _assert("assertNotIn", given, f"row.{attr}.all()")
    if verb == "set" and given:
        return "replaces_the_related_rows", _assert("assertEqual", f"list(row.{attr}.all())", given)
    return "keeps_a_valid_relation", _assert("assertGreaterEqual", f"row.{attr}.count()", "0")


KINDS: dict[str, Callable[[TestWriter, Method], list[Case]]] = {
    "get": read_one,
    "get_or_404": read_one,
    "first": read_one,
    "last": read_one,
    "latest": read_one,
    "earliest": read_one,
    "list": read_many,
    "list_or_404": read_many,
    "count": count,
    "exists": exists,
    "values": values,
    "aggregate": mapping,
    "in_bulk": mapping,
    "create": create,
    "get_or_create": get_or_create,
    "update_or_create": get_or_create,
    "bulk_create": bulk,
    "bulk_update": bulk,
    "update": update,
    "delete": delete,
    "save": save,
    "form_create": form_create,
    "form_update": form_update,
    "related_create": related,
    "related_add": related,
    "related_remove": related,
    "related_set": related,
    "related_clear": related,
}
