"""Service method names in the domain's words: the verb, the model, the filters and the fields.

Never the view's name. ``BookInstance.objects.filter(status__exact="a").count()`` is
``count_book_instances_with_status_available`` (a choice is named by its label),
``Post.objects.filter(published=True)`` is ``list_published_posts`` (a true boolean is an
adjective), ``get_object_or_404(Post, slug=slug, author=request.user)`` is
``get_post_by_slug_for_author`` (a value the view passes: ``by_<field>``, ``for_<relation>``),
``Bookmark.objects.public().tagged(name)`` is ``list_public_bookmarks_tagged`` (custom queryset
methods keep their names), ``Question.objects.filter(pub_date__lte=timezone.now())[:5]`` ordered
newest first is ``list_latest_questions_with_pub_date_up_to_now``.
"""

import ast
import re
from dataclasses import dataclass, field

from modkit.modularize.naming import plural, singular, snake
from modkit.modularize.orm_facts import LOOKUPS as BASE_LOOKUPS
from modkit.modularize.orm_facts import ModelRef

VERBS = {
    "list": "list",
    "values": "list",
    "list_or_404": "list",
    "count": "count",
    "exists": "has",
    "get": "get",
    "get_or_404": "get",
    "first": "get_first",
    "last": "get_last",
    "latest": "get_latest",
    "earliest": "get_earliest",
    "aggregate": "summarize",
    "in_bulk": "get",
    "create": "create",
    "get_or_create": "get_or_create",
    "update_or_create": "update_or_create",
    "bulk_create": "create",
    "bulk_update": "update",
    "update": "update",
    "delete": "delete",
}
ONE_ROW = {"get", "get_or_404", "first", "last", "latest", "earliest", "create", "get_or_create", "update_or_create"}
FILTERS = {"filter", "get", "get_or_create", "update_or_create"}
QUERYSET_API = {
    "all",
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "distinct",
    "using",
    "annotate",
    "alias",
    "values",
    "values_list",
    "reverse",
    "none",
    "iterator",
    "select_for_update",
    "extra",
    "dates",
    "datetimes",
    "union",
    "intersection",
    "difference",
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
    "contains",
    "explain",
}
LOOKUPS = BASE_LOOKUPS | {"search"}
TRANSFORMS = {"date", "year", "iso_year", "month", "day", "week", "week_day", "iso_week_day", "quarter", "time"}
EXACT = {"exact", "iexact"}
TEXT = {
    "contains": "containing",
    "icontains": "containing",
    "startswith": "starting_with",
    "istartswith": "starting_with",
    "endswith": "ending_with",
    "iendswith": "ending_with",
    "in": "in",
    "range": "between",
    "regex": "matching",
    "iregex": "matching",
    "search": "matching",
}
DATES = {"lt": "before", "lte": "up_to", "gt": "after", "gte": "from"}
AMOUNTS = {"lt": "under", "lte": "at_most", "gt": "over", "gte": "at_least"}
DATE_KINDS = {"DateField", "DateTimeField", "TimeField"}
PLAIN_MANAGERS = {"objects", "_default_manager", "_base_manager"}
MAX_QUALIFIERS = 4


def slug(value: object, limit: int = 24) -> str:
    text = re.sub(r"\W+", "_", str(value)).strip("_").lower()
    return text if 0 < len(text) <= limit else ""


@dataclass
class Words:
    """What goes before the noun (``latest``, ``published``) and after it (``for_borrower``)."""

    pre: list[str] = field(default_factory=list)
    post: list[str] = field(default_factory=list)
    ordering: list[str] = field(default_factory=list)  # an explicit ``order_by("-due_back")``

    @property
    def order(self) -> list[str]:
        """The explicit ordering as words, to tell apart two queries that differ only there."""
        return [slug(o.lstrip("-")) for o in self.ordering]

    def before(self, word: str) -> None:
        if word and word not in self.pre:
            self.pre.append(word)

    def after(self, word: str) -> None:
        if word and word not in self.post:
            self.post.append(word)


@dataclass
class Lookup:
    """One ``filter()`` keyword read against the model: the field path, its model, the lookup."""

    path: list[str]
    owner: ModelRef  # the model the last field belongs to
    lookup: str = "exact"
    transforms: list[str] = field(default_factory=list)

    @property
    def words(self) -> str:
        return "_".join([p for p in self.path if p != "pk"] + self.transforms) or "id"

    @property
    def field(self) -> str:
        return self.path[-1] if self.path else "pk"

    @property
    def is_key(self) -> bool:
        return self.path in (["pk"], [self.owner.pk], ["id"]) and self.lookup in EXACT and not self.transforms


def chain_calls(expr: ast.AST) -> tuple[ast.AST, list[tuple[str, ast.Call]], ast.AST | None]:
    """``Book.objects.filter(...).order_by(...)[:5]`` -> (``Book.objects``, [(filter, ...), (order_by, ...)], slice)."""
    calls: list[tuple[str, ast.Call]] = []
    sliced = None
    node = expr
    while True:
        if isinstance(node, ast.Subscript):
            sliced = sliced or node.slice
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            calls.append((node.func.attr, node))
            node = node.func.value
        else:
            break
    calls.reverse()
    return node, calls, sliced


class QueryNamer:
    """Names a query from the model and the calls of its chain; ``by_label`` follows relations."""

    def __init__(self, by_label=None):
        self.by_label = by_label or (lambda label: None)

    def name(self, operation: str, model: ModelRef, expr: ast.AST, *, noun: str | None = None) -> tuple[str, str]:
        """(the name, a longer one for when two different queries get the same name).

        ``noun``: for a related manager's query (``question.choice_set``), ``question_choice``.
        """
        base, calls, sliced = chain_calls(expr)
        words = Words()
        if noun is None:
            noun = snake(model.name)
            self._manager(base, model, noun, words)
        for method, call in calls:
            self._call(method, call, model, words)
        self._slice(operation, sliced, model, words)
        verb = self._verb(operation, calls, words)
        thing = noun if operation in ONE_ROW else plural(noun)
        if operation == "in_bulk":
            words.after("in_bulk")
        name = "_".join([verb, *words.pre, thing, *words.post[:MAX_QUALIFIERS]])
        longer = "_".join([name, "ordered_by", *words.order]) if words.order else ""
        return name, longer

    # the parts of a chain
    @staticmethod
    def _manager(base: ast.AST, model: ModelRef, noun: str, words: Words) -> None:
        manager = base.attr if isinstance(base, ast.Attribute) else None
        if manager is None or manager in PLAIN_MANAGERS or manager == model.default_manager:
            return
        for suffix in (f"_{plural(noun)}", f"_{noun}", "_" + plural(noun.rpartition("_")[2])):
            if manager.endswith(suffix) and len(manager) > len(suffix):
                words.before(manager[: -len(suffix)])
                return
        words.after(f"from_{manager}")

    def _call(self, method: str, call: ast.Call, model: ModelRef, words: Words) -> None:
        if method in FILTERS or method == "exclude":
            self._filters(method, call, model, words)
        elif method == "order_by":
            words.ordering = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        elif method not in QUERYSET_API:
            _custom(method, call, words)

    def _filters(self, method: str, call: ast.Call, model: ModelRef, words: Words) -> None:
        negate = method == "exclude"
        for keyword in call.keywords:
            if keyword.arg and keyword.arg not in ("defaults", "create_defaults"):
                self._filter(self.lookup(model, keyword.arg), keyword.value, words, negate=negate)
        if call.args and method != "get_or_create":  # Q objects
            words.after("not_matching" if negate else "matching")

    @staticmethod
    def _slice(operation: str, sliced: ast.AST | None, model: ModelRef, words: Words) -> None:
        if operation != "list" or not isinstance(sliced, ast.Slice):
            return
        first = (words.ordering or list(model.ordering) or [""])[0]
        words.before("latest" if first.startswith("-") else "first")

    @staticmethod
    def _verb(operation: str, calls, words: Words) -> str:
        if operation != "update" or not calls:
            return VERBS.get(operation, operation)
        assigned = [k for k in calls[-1][1].keywords if k.arg]
        flag = assigned[0] if len(assigned) == 1 and _is_bool(assigned[0].value) else None
        if flag is not None:
            adjective = _adjective(flag.arg)  # ``update(published=True)``: mark as published
            words.post.insert(0, f"as_{adjective}" if flag.value.value else f"as_not_{adjective}")
            return "mark"
        words.post[:0] = [slug(k.arg) for k in assigned[:2]]
        return "update"

    # filters
    def lookup(self, model: ModelRef, keyword: str) -> Lookup:
        parts = keyword.split("__")
        found = Lookup(path=[], owner=model)
        owner = model
        for index, part in enumerate(parts):
            if not _is_field(owner, part):
                break
            found.path.append(part)
            found.owner = owner
            target = owner.forward.get(part) or owner.related.get(part)
            if target and index < len(parts) - 1:
                owner = self.by_label(target) or ModelRef(target, target.rpartition(".")[2], "")
        rest = parts[len(found.path) :]
        if rest and rest[-1] in LOOKUPS:
            found.lookup = rest.pop()
        found.transforms = [slug(r) for r in rest]
        return found

    def _filter(self, lookup: Lookup, value: ast.AST, words: Words, *, negate: bool) -> None:
        if lookup.is_key and not negate:
            return
        if isinstance(value, ast.Constant) and isinstance(value.value, bool) and lookup.lookup in EXACT:
            wanted = value.value != negate
            adjective = _adjective(lookup.words)
            words.before(adjective) if wanted else words.after(f"not_{adjective}")
            return
        word = _describe(lookup, value)
        words.after(f"not_{word}" if negate else word)


def _is_bool(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, bool)


def _is_field(owner: ModelRef, part: str) -> bool:
    if part == "pk":
        return True
    if not owner.fields:  # nothing known of the model: every part that is no lookup is a field
        return part not in LOOKUPS and part not in TRANSFORMS
    return part in owner.fields or part in owner.forward or part in owner.related


def _adjective(words: str) -> str:
    for prefix in ("is_", "has_"):
        if words.startswith(prefix):
            return words[len(prefix) :]
    return words


def _custom(method: str, call: ast.Call, words: Words) -> None:
    """A custom queryset or manager method: ``public()`` is an adjective, ``for_user(u)`` a qualifier."""
    if not call.args and not call.keywords and "_" not in method:
        words.before(method)
    else:
        words.after(method)


def _describe(lookup: Lookup, value: ast.AST) -> str:
    field_words = lookup.words
    if lookup.lookup == "isnull":
        return _isnull(field_words, value)
    compared = _comparison(lookup.lookup, lookup.owner.fields.get(lookup.field, ""))
    constant = _constant_words(lookup, value)
    if constant is None:  # a value the view passes
        return _passed(lookup, compared)
    if constant == "none" and lookup.lookup in EXACT:
        return f"without_{field_words}"
    parts = [f"with_{field_words}"]
    if lookup.lookup not in EXACT and lookup.lookup != "in":  # ``status__in=["a", "o"]``: the labels say it
        parts.append(compared)
    parts.append(constant)
    return "_".join(p for p in parts if p)


def _passed(lookup: Lookup, compared: str) -> str:
    """``for_borrower`` (a relation), ``by_slug``, ``with_price_under``."""
    if lookup.lookup in EXACT:
        return f"for_{lookup.words}" if lookup.field in lookup.owner.forward else f"by_{lookup.words}"
    return f"with_{lookup.words}_{compared}"


def _isnull(field_words: str, value: ast.AST) -> str:
    if isinstance(value, ast.Constant) and value.value is False:
        return f"with_{field_words}"
    return f"without_{field_words}"


def _comparison(lookup: str, kind: str) -> str:
    if lookup in TEXT:
        return TEXT[lookup]
    table = DATES if kind in DATE_KINDS else AMOUNTS
    return table.get(lookup, slug(lookup))


CLOCKS = {"now": "now", "localtime": "now", "today": "today", "localdate": "today"}


def _constant_words(lookup: Lookup, value: ast.AST) -> str | None:
    """Words for a literal (a choice by its label), ``now``/``today`` for a clock; None for a variable."""
    labels = lookup.owner.choices.get(lookup.field, {})
    if isinstance(value, ast.Constant):
        return "none" if value.value is None else slug(labels.get(value.value, value.value))
    if isinstance(value, ast.List | ast.Tuple | ast.Set) and all(isinstance(e, ast.Constant) for e in value.elts):
        return "_or_".join(slug(labels.get(e.value, e.value), 12) for e in value.elts[:3])
    if isinstance(value, ast.Call) and not value.args:
        name = value.func.attr if isinstance(value.func, ast.Attribute) else getattr(value.func, "id", "")
        return CLOCKS.get(name)
    return None


# writes on an instance
def save_name(noun: str, *, new_instance: bool, assigned: list[tuple[str, ast.AST, object]]) -> str:
    """``create_bookmark``, ``update_book_instance_due_back``, ``increment_choice_votes``, ``save_order``.

    ``assigned``: (attribute, value, operator) of the lines moved with the save; the operator is
    the augmented assignment's (``ast.Add`` for ``stock += n``), None for a plain one.
    """
    if new_instance:
        return f"create_{noun}"
    if not assigned:
        return f"save_{noun}"
    if len(assigned) > 1:
        return f"update_{noun}"
    attr, value, operator = assigned[0]
    return f"{_step(attr, value, operator) or 'update'}_{noun}_{attr}"


def _step(attr: str, value: ast.AST, operator) -> str:
    """``votes = F("votes") + 1`` and ``stock += n`` increment, ``- 1`` decrements."""
    if operator is None and isinstance(value, ast.BinOp) and _is_own_f(value.left, attr):
        operator = value.op
    return {ast.Add: "increment", ast.Sub: "decrement"}.get(type(operator), "")


def _is_own_f(node: ast.AST, attr: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "F"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == attr
    )


def method_name(method: str, noun: str) -> str:
    """A model method called through the service: ``mark_as_read`` -> ``mark_notification_as_read``."""
    if noun in method:
        return method
    verb, _, rest = method.partition("_")
    return "_".join(p for p in (verb, noun, rest) if p)


def related_noun(owner_noun: str, attr: str, related: ModelRef | None) -> str:
    """``question.choice_set`` -> ``question_choice``; ``order.lines`` -> ``order_line``."""
    target = attr.removesuffix("_set")
    target = singular(target) if not attr.endswith("_set") else target
    if related is not None and snake(related.name).startswith(owner_noun):
        return snake(related.name)
    return f"{owner_noun}_{target}"
