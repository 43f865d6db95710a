"""The rows a generated test makes, so that the query under test really finds one of them.

A query's filters (``status__exact="a"``, ``borrower=user``) become *constraints*: a path of fields
from the model and the value a row has at its end to be found. The matching row carries every
constraint (``row = make(BookInstance, borrower=user, status="a")``); for each constraint one
more row carries the others but not that one (``make(BookInstance, borrower=user, status="m")``),
so a test tells filtering from "returns everything". Values are worked out here, while the
migration runs, from the model's fields: a valid choice, a saved related row, a fresh text.
"""

from dataclasses import dataclass, field
from typing import Protocol

from django.db import models

from modkit.modularize.testcode import Names, call, is_literal, literal

STRING_LOOKUPS = {
    "exact": lambda a, b: a == b,
    "iexact": lambda a, b: a.lower() == b.lower(),
    "contains": lambda a, b: b in a,
    "icontains": lambda a, b: b.lower() in a.lower(),
    "startswith": lambda a, b: a.startswith(b),
    "istartswith": lambda a, b: a.lower().startswith(b.lower()),
    "endswith": lambda a, b: a.endswith(b),
    "iendswith": lambda a, b: a.lower().endswith(b.lower()),
}
ORDER_LOOKUPS = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
# A row whose field holds the filter's value itself is found by these lookups.
SELF_MATCHING = set(STRING_LOOKUPS) | {"gte", "lte"}
# What a ``sample()`` of each kind of field looks like, to pick a value that differs from it.
SAMPLE_SHAPES = {"text": "sample-1", "email": "sample1@example.com", "url": "https://example.com/1"}
OTHER_TEXTS = {
    "text": ("other", "zz", "x", "q"),
    "email": ("other@example.org", "zz@example.net", "q@x.io"),
    "url": ("https://other.example.org/", "https://zz.example.net/", "http://q.io/"),
}
FAMILIES = {
    "CharField": "text",
    "TextField": "text",
    "SlugField": "text",
    "EmailField": "email",
    "URLField": "url",
    "BooleanField": "bool",
    "DateField": "date",
    "DateTimeField": "date",
    "UUIDField": "uuid",
    "DecimalField": "number",
    "FloatField": "number",
}


def family(found) -> str:
    if found.is_relation:
        return "relation"
    if found.choices:
        return "choice"
    kind = found.get_internal_type()
    if kind.endswith("IntegerField"):
        return "number"
    return FAMILIES.get(kind, "plain")


@dataclass
class Constraint:
    """What a row must hold at the end of ``path`` (field names from the model) to be found."""

    path: list[str]
    value: str  # code of the value that matches
    other: str | None  # code of a value that does not (None: no such value is known)
    fresh: bool = False  # no row made outside this test holds the value
    link: bool = False  # ``path[0]`` is a related manager of the row ``value``: the row is added to it


@dataclass
class Bound:
    """A parameter's value in a test, and what it asks of the matching row."""

    value: str | None  # code set before the rows are made (None: taken from the row)
    constraint: Constraint | None = None
    from_row: str | None = None  # code set once the row exists (its primary key)


class Context(Protocol):
    """What the row builder asks of the test writer: local names of models and imports."""

    def model_class(self, model) -> str: ...  # the local name of a model class in the test

    def use(self, module: str, name: str | None = None) -> str: ...


class NoRow(Exception):
    """No row can be made that the query finds: the test asserts the kind of answer only."""


# constants: ``status__exact="a"``
def constant_constraint(ctx: Context, info, value) -> Constraint:
    found, path, lookup = info
    if found is None or not (is_literal(value) or isinstance(value, list | tuple)):
        raise NoRow(f"filter {lookup!r} on an unknown field")
    if value is None and lookup in ("exact", "iexact"):
        lookup, value = "isnull", True
    if lookup == "isnull":
        return _isnull_constraint(ctx, found, path, bool(value))
    if found.is_relation:
        raise NoRow(f"a literal for the relation {found.name}")
    matching = _matching_constant(lookup, value)
    other = _other_constant(found, lookup, value)
    return Constraint(path, literal(matching), None if other is _NONE else literal(other))


_NONE = object()


def _matching_constant(lookup: str, value):
    if lookup in SELF_MATCHING:
        return value
    if lookup == "in" and isinstance(value, list | tuple) and value and is_literal(value[0]):
        return value[0]
    if lookup in ("gt", "lt") and isinstance(value, int | float) and not isinstance(value, bool):
        return value + 1 if lookup == "gt" else value - 1
    raise NoRow(f"the lookup {lookup!r} with {value!r}")


def _other_constant(found, lookup: str, value):
    for candidate in _candidates(found, value):
        if not _matches(lookup, candidate, value):
            return candidate
    return _NONE


def _candidates(found, value) -> list:
    """Values the field can hold, to pick one that misses the filter."""
    pick = CANDIDATES.get(family(found))
    return pick(found, value) if pick else []


def _numbers(found, value) -> list:
    numbers = [v for v in (value if isinstance(value, list | tuple) else [value]) if isinstance(v, int | float)]
    return [max(numbers) + 1, min(numbers) - 1] if numbers else []


def _texts(found, value) -> list:
    limit = getattr(found, "max_length", None) or 10_000
    return [text for text in OTHER_TEXTS[family(found)] if len(text) <= limit]


CANDIDATES = {
    "choice": lambda found, value: [c for c, _label in found.flatchoices if is_literal(c)],
    "bool": lambda found, value: [not value] if isinstance(value, bool) else [],
    "number": _numbers,
    "text": _texts,
    "email": _texts,
    "url": _texts,
}


def _matches(lookup: str, candidate, value) -> bool:
    if lookup == "in":
        return candidate in value
    test = STRING_LOOKUPS.get(lookup) if isinstance(candidate, str) and isinstance(value, str) else None
    test = test or ORDER_LOOKUPS.get(lookup)
    try:
        return True if test is None else bool(test(candidate, value))
    except TypeError:
        return True  # not comparable: not a safe "other" value


def _isnull_constraint(ctx: Context, found, path: list[str], is_null: bool) -> Constraint:
    if is_null and not found.null:
        raise NoRow(f"{found.name} is never null")
    filled = _sample(ctx, found)
    if is_null:
        return Constraint(path, "None", filled)
    return Constraint(path, filled, "None" if found.null else None)


def _sample(ctx: Context, found) -> str:
    return f"sample({ctx.model_class(found.model)}, {found.name!r})"


# parameters: ``borrower=user``
def bound_value(ctx: Context, root, info, var: str) -> Bound:
    """``var``'s value (``info``: what it is compared with), and the constraint it puts on the row."""
    found, path, lookup = info
    if found is None:
        raise NoRow("compared through a reverse relation")
    if found.primary_key:
        return _bound_key(ctx, root, path, lookup, var)
    kind = family(found)
    if kind == "relation":
        return _bound_relation(ctx, found, path, lookup, var)
    if lookup == "isnull":
        return Bound("False", _isnull_constraint(ctx, found, path, False))
    return _bound_field(ctx, found, path, lookup, var, kind)


def _bound_field(ctx: Context, found, path: list[str], lookup: str, var: str, kind: str) -> Bound:
    if lookup not in SELF_MATCHING and lookup != "in":
        raise NoRow(f"the lookup {lookup!r}")
    base, other, fresh = _plain_values(ctx, found, kind)
    shown = f"{var}[0]" if lookup == "in" else var
    other = other or _param_other(ctx, found, kind, shown, "exact" if lookup == "in" else lookup)
    return Bound(f"[{base}]" if lookup == "in" else base, Constraint(path, shown, other, fresh))


def _bound_key(ctx: Context, root, path: list[str], lookup: str, var: str) -> Bound:
    if lookup not in ("exact", "in"):
        raise NoRow(f"the lookup {lookup!r} on a primary key")
    if len(path) == 1:  # the row's own key: known once the row is made
        return Bound(None, None, from_row="[row.pk]" if lookup == "in" else "row.pk")
    # ``customer__pk=customer_id``: the key of a related row, that is ``customer_id`` on the row
    relation = _walk(root, path)[-2]
    if relation.many_to_many or lookup != "exact":
        raise NoRow("the key of a related row")
    made = f"make({ctx.model_class(relation.related_model)}).pk"
    return Bound(made, Constraint([*path[:-2], relation.attname], var, made, True))


def _bound_relation(ctx: Context, found, path: list[str], lookup: str, var: str) -> Bound:
    if lookup not in ("exact", "in"):
        raise NoRow(f"the lookup {lookup!r} on a relation")
    made = f"make({ctx.model_class(found.related_model)})"
    if path[-1] == found.attname and found.attname != found.name:
        made += ".pk"
    if lookup == "in":
        return Bound(f"[{made}]", Constraint(path, f"{var}[0]", made, True))
    return Bound(made, Constraint(path, var, made, True))


def _plain_values(ctx: Context, found, kind: str) -> tuple[str, str | None, bool]:
    """(code of the parameter's value, code of a value that differs or None, fresh)."""
    if kind == "choice":
        choices = [c for c, _label in found.flatchoices if is_literal(c)]
        if choices:
            return literal(choices[0]), literal(choices[1]) if len(choices) > 1 else None, False
    if kind == "bool":
        return "True", "False", False
    sample = _sample(ctx, found)
    if kind == "uuid":
        return sample, f"{ctx.use('uuid')}.uuid4()", True
    return sample, None, kind in SAMPLE_SHAPES


def _param_other(ctx: Context, found, kind: str, var: str, lookup: str) -> str | None:
    """A value that ``var``'s lookup leaves out: another text, or a number or date next to it."""
    if kind in SAMPLE_SHAPES:
        limit = getattr(found, "max_length", None) or 10_000
        texts = [t for t in OTHER_TEXTS[kind] if len(t) <= limit and not _matches(lookup, t, SAMPLE_SHAPES[kind])]
        return literal(texts[0]) if texts else None
    step = {"number": "1", "date": f"{ctx.use('datetime', 'timedelta')}(days=1)"}.get(kind)
    if step is None or lookup not in ("exact", "gte", "lte"):
        return None
    return f"{var} + {step}" if lookup == "lte" else f"{var} - {step}"


def clock_constraint(ctx: Context, info) -> Constraint:
    """``pub_date__lte=timezone.now()``: the row is a day old, the other row a day ahead (or the reverse)."""
    found, path, lookup = info or (None, [], "")
    if found is None or family(found) != "date" or lookup not in ("lt", "lte", "gt", "gte"):
        raise NoRow("compared with the clock")
    now = f"{ctx.use('django.utils', 'timezone')}.now()"
    day = f"{ctx.use('datetime', 'timedelta')}(days=1)"
    past, future = f"{now} - {day}", f"{now} + {day}"
    return Constraint(path, past, future) if lookup in ("lt", "lte") else Constraint(path, future, past)


def initial_value(ctx: Context, info, target) -> list[Constraint]:
    """The row starts with a value other than ``target`` (what an update sets), when one is known."""
    if info is None or info[0] is None or not is_literal(target):
        return []
    found, path, _lookup = info
    other = _other_constant(found, "exact", target)
    return [] if other is _NONE else [Constraint(path[:1], literal(other), None)]


def plain_value(ctx: Context, info) -> str | None:
    """A value of the field ``info`` names, shaped for its lookup; no row has to match it."""
    found, path, lookup = info
    if found.is_relation:
        base = f"make({ctx.model_class(found.related_model)})"
        base += ".pk" if path[-1] == found.attname != found.name else ""
    else:
        choices = [c for c, _label in found.flatchoices if is_literal(c)] if found.choices else []
        base = literal(choices[0]) if choices else _sample(ctx, found)
    shapes = {"in": f"[{base}]", "isnull": "False", "range": f"({base},) * 2"}
    if lookup in shapes:
        return shapes[lookup]
    return base if lookup in SELF_MATCHING or lookup in ("gt", "lt", "regex", "iregex") else None


def _walk(model, path: list[str]) -> list:
    fields = []
    for name in path:
        found = model._meta.get_field(name)
        fields.append(found)
        model = found.related_model or model
    return fields


# rows
@dataclass
class Group:
    """One keyword of a ``make()`` call: a field of the row, the value that matches and one that does not."""

    attr: str
    value: str
    other: str | None
    fresh: bool
    many: bool  # many-to-many: added once the row is saved
    link: bool = False  # the row is added to ``value``'s related manager ``attr``


@dataclass
class Rows:
    """The code of a test's rows: the one the query must find and those it must leave out."""

    setup: list[str] = field(default_factory=list)  # related rows the constraints need
    row: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    other_names: list[str] = field(default_factory=list)
    fresh: bool = False


class RowBuilder:
    def __init__(self, ctx: Context, model, names: Names):
        self.ctx = ctx
        self.model = model
        self.names = names

    def build(self, constraints: list[Constraint], *, key: bool, name_others: bool) -> Rows:
        """``key``: a parameter is the row's primary key (a row differing only by key is made too)."""
        rows = Rows()
        groups = self._groups(self.model, constraints, rows.setup)
        local = self.ctx.model_class(self.model)
        rows.row = _make("row", local, *_split(groups))
        rows.fresh = key or any(g.fresh for g in groups)
        seen: set[str] = set()
        for varied in _variants(groups, key):
            kwargs, adds = self._other(groups, varied)
            if (text := repr((kwargs, [g.attr for g in adds]))) not in seen:
                seen.add(text)
                self._add_other(rows, varied, local, kwargs, adds, named=name_others or bool(adds))
        return rows

    def _add_other(self, rows: Rows, varied: Group | None, local: str, kwargs, adds, *, named: bool) -> None:
        name = self.names.take(f"other_{varied.attr if varied else 'row'}") if named else None
        rows.others += _make(name, local, kwargs, adds)
        if name:
            rows.other_names.append(name)

    def _groups(self, model, constraints: list[Constraint], setup: list[str]) -> list[Group]:
        by_attr: dict[str, list[Constraint]] = {}
        links = [Group(c.path[0], c.value, None, True, True, link=True) for c in constraints if c.link]
        for c in constraints:
            if not c.link:
                by_attr.setdefault(c.path[0], []).append(c)
        return links + [self._group(model, attr, found, setup) for attr, found in by_attr.items()]

    def _group(self, model, attr: str, constraints: list[Constraint], setup: list[str]) -> Group:
        found = model._meta.get_field(attr)
        many = bool(found.many_to_many)
        if len(constraints) == 1 and len(constraints[0].path) == 1:
            c = constraints[0]
            return Group(attr, c.value, c.other, c.fresh, many)
        if any(len(c.path) == 1 for c in constraints) or not found.is_relation:
            raise NoRow(f"{attr} is compared both whole and through its fields")
        related = found.related_model
        inner = [Constraint(c.path[1:], c.value, c.other, c.fresh) for c in constraints]
        groups = self._groups(related, inner, setup)
        var = self.names.take(attr)
        local = self.ctx.model_class(related)
        setup += _make(var, local, *_split(groups))
        fresh = any(g.fresh for g in groups)
        other = f"make({local})" if fresh else _nested_other(local, groups)
        return Group(attr, var, other, fresh, many)

    def _other(self, groups: list[Group], varied: Group | None) -> tuple[list[str], list[Group]]:
        shared = _shareable(self.model, [g for g in groups if g is not varied and not g.many])
        kwargs = [f"{g.attr}={g.value}" for g in shared]
        if varied is not None and not varied.many:
            kwargs.append(f"{varied.attr}={varied.other}")
        return kwargs, [g for g in groups if g.many and g is not varied]


def _variants(groups: list[Group], key: bool) -> list[Group | None]:
    """What each row that must not be found misses: one group each (None: only the primary key)."""
    return ([None] if key else []) + [g for g in groups if g.many or g.other is not None]


def _split(groups: list[Group]) -> tuple[list[str], list[Group]]:
    """The ``make()`` keywords of the groups, and the groups added once the row is saved."""
    return [f"{g.attr}={g.value}" for g in groups if not g.many], [g for g in groups if g.many]


def _make(name: str | None, local: str, kwargs: list[str], adds: list[Group]) -> list[str]:
    prefix = f"{name} = " if name else ""
    lines = [call("make", [local, *kwargs], prefix=prefix)]
    return lines + [f"{g.value}.{g.attr}.add({name})" if g.link else f"{name}.{g.attr}.add({g.value})" for g in adds]


def _nested_other(local: str, groups: list[Group]) -> str | None:
    for g in groups:
        if g.many:
            return f"make({local})"
        if g.other is not None:
            return call("make", [local, f"{g.attr}={g.other}"], indent=0)
    return None


def _shareable(model, groups: list[Group]) -> list[Group]:
    """The groups another row can share with the matching row without breaking a unique rule."""
    kept = list(groups)
    for unique in _unique_sets(model):
        names = {model._meta.get_field(g.attr).name: g for g in kept}
        if unique <= set(names):
            kept.remove(names[sorted(unique)[0]])
    return kept


def _unique_sets(model) -> list[set[str]]:
    opts = model._meta
    sets = [{f.name} for f in opts.concrete_fields if f.unique and not f.primary_key]
    sets += [set(names) for names in opts.unique_together]
    for constraint in opts.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields and constraint.condition is None:
            sets.append(set(constraint.fields))
    return sets
