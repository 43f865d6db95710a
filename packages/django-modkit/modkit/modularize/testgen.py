"""The generated test of a migrated app: module, container and every service method, on the real DB.

Arguments come from what each parameter is compared with or stored in: a row made for the
test (``pk=row.pk``), a sample of the field's type, a fresh related row. When every filter
of a read is satisfied by the row, the test asserts that row comes back; otherwise it asserts
the kind of answer. A method whose arguments cannot be derived is named in the file's
docstring as not exercised, never skipped in silence.
"""

from dataclasses import dataclass, field

from modkit.modularize.lifting import Param
from modkit.modularize.naming import Imports
from modkit.modularize.servicegen import SELF_SATISFYING, Assigned, Method

READS = {
    "get",
    "get_or_404",
    "first",
    "last",
    "latest",
    "earliest",
    "list",
    "list_or_404",
    "count",
    "exists",
}

HELPERS = '''

_serial = itertools.count(1)


def sample(model, name):
    """A value the field ``name`` of ``model`` accepts (a saved row for a relation)."""
    field = model._meta.get_field(name)
    n = next(_serial)
    if field.many_to_many:
        return [make(field.related_model)]
    if field.is_relation:
        return make(field.related_model)
    if field.choices:
        return field.flatchoices[0][0]
    kind = field.get_internal_type()
    if kind == "EmailField":
        return f"sample{n}@example.com"
    if kind == "URLField":
        return f"https://example.com/{n}"
    if kind in ("CharField", "SlugField", "TextField"):
        return f"sample-{n}"[: field.max_length or None]
    if kind.endswith("IntegerField") or kind.endswith("AutoField"):
        return n
    if kind == "DecimalField":
        return Decimal(n)
    if kind == "FloatField":
        return float(n)
    if kind == "BooleanField":
        return True
    if kind == "DateTimeField":
        return timezone.now()
    if kind == "DateField":
        return timezone.localdate()
    if kind == "TimeField":
        return timezone.now().time()
    if kind == "DurationField":
        return timedelta(seconds=n)
    if kind == "UUIDField":
        return uuid.uuid4()
    if kind == "JSONField":
        return {}
    if kind == "GenericIPAddressField":
        return "127.0.0.1"
    raise TypeError(f"no sample value for {model.__name__}.{name} ({kind})")


def make(model, **values):
    """Save a row of ``model``: the given values, a sample for every other required field."""
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in values or field.attname in values:
            continue
        if field.null or field.has_default() or getattr(field, "auto_now", False) or getattr(
            field, "auto_now_add", False
        ):
            continue
        values[field.name] = sample(model, field.name)
    return model._default_manager.create(**values)
'''


@dataclass
class TestCase:
    name: str
    lines: list[str]


@dataclass
class TestFile:
    cases: list[TestCase] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)


class TestWriter:
    def __init__(self, *, imports: Imports, field_info, not_found: tuple[str, str], service_var: str = "service"):
        self.imports = imports
        self.not_found = not_found
        self.field_info = field_info  # (label, lookup) -> (field, path, lookup) | None
        self.service = service_var
        self.result = TestFile()

    def model(self, ref) -> str:
        return self.imports.use(ref.module, ref.name)

    def add(self, method: Method) -> None:
        lines = self._lines(method)
        if lines is None:
            missing = [p.name for p in method.params if self._argument(method, p, None) is None]
            self.result.untested.append(f"{method.name} ({', '.join(missing) or 'no model'})")
            return
        self.result.cases.append(TestCase(f"test_{method.name}", lines))

    # arguments
    def _path_from_row(self, method: Method, param: Param) -> str | None:
        if not (method.strong and param.feeds and method.model and param.feeds[0] == method.model.label):
            return None
        info = self.field_info(*param.feeds)
        if info is None or info[0] is None or info[2] not in SELF_SATISFYING:
            return None
        _found, path, lookup = info
        value = "row." + ".".join(path)
        return f"[{value}]" if lookup == "in" else value

    def _argument(self, method: Method, param: Param, row: str | None) -> str | None:
        if param.model is not None:
            if (
                row
                and method.model
                and param.model.label == method.model.label
                and method.operation
                in (
                    "save",
                    "delete",
                    "form_update",
                    "related_create",
                    "related_add",
                    "related_remove",
                    "related_set",
                    "related_clear",
                )
            ):
                return row
            return f"make({self.model(param.model)})"
        if param.form is not None:
            model = self.model(param.form.model)
            items = "".join(f"\n    {name!r}: sample({model}, {name!r})," for name in param.form.fields)
            return "{" + items + "\n}"
        if row:
            from_row = self._path_from_row(method, param)
            if from_row:
                return from_row
        if param.feeds is None:
            return None
        info = self.field_info(*param.feeds)
        if info is None or info[0] is None:
            return None
        found, _path, lookup = info
        owner = self.model_of_field(found)
        value = f"sample({owner}, {found.name!r})"
        if lookup == "in":
            return f"[{value}]"
        if lookup == "isnull":
            return "False"
        if lookup == "range":
            return f"({value},) * 2"
        if lookup in SELF_SATISFYING or lookup in ("gt", "lt", "regex", "iregex"):
            return value
        return None

    def model_of_field(self, found) -> str:
        from modkit.modularize.resolver import model_ref

        return self.model(model_ref(found.model))

    # one test per method
    def _lines(self, method: Method) -> list[str] | None:
        op = method.operation
        model = self.model(method.model) if method.model else None
        needs_row = model is not None and (
            (method.strong and op in READS) or op in ("save", "delete", "form_update") or op.startswith("related_")
        )
        setup: list[str] = []
        row = None
        if needs_row:
            overrides = ", ".join(f"{k}={v!r}" for k, v in method.lookups.items() if "__" not in k and k != "pk")
            setup.append(f"row = make({model}{', ' + overrides if overrides else ''})")
            row = "row"
        args = []
        for param in method.params:
            value = self._argument(method, param, row)
            if value is None:
                return None
            name = f"{param.name}_value"
            if value == row:
                args.append(f"{param.name}={row}")
            else:
                setup.append(f"{name} = {value}")
                args.append(f"{param.name}={name}")
        call = f"{self.service}.{method.name}({', '.join(args)})"
        checks = self._checks(method, model, row, call)
        if checks is None:
            return None
        return setup + checks

    def _checks(self, method: Method, model: str | None, row: str | None, call: str) -> list[str] | None:
        op = method.operation
        strong = (
            method.strong
            and row is not None
            and all(self._path_from_row(method, p) or p.model is not None for p in method.params)
        )
        if model is None:
            return None
        manager = f"{model}._default_manager"
        if op in ("get", "get_or_404", "first", "last", "latest", "earliest"):
            if strong:
                return [f"assert {call} == row"]
            errors = self.imports.use(*self.not_found) if op == "get_or_404" else f"{model}.DoesNotExist"
            return [
                "try:",
                f"    result = {call}",
                f"except {errors}:",
                "    result = None",
                f"assert result is None or isinstance(result, {model})",
            ]
        if op in ("list", "list_or_404"):
            if strong:
                return [f"assert row in {call}"]
            if op == "list_or_404":
                errors = self.imports.use(*self.not_found)
                return [
                    "try:",
                    f"    result = {call}",
                    f"except {errors}:",
                    "    result = []",
                    f"assert all(isinstance(item, {model}) for item in result)",
                ]
            return [f"assert all(isinstance(item, {model}) for item in {call})"]
        if op == "values":
            return [f"assert isinstance(list({call}), list)"]
        if op == "count":
            return [f"assert {call} {'>= 1' if strong else '>= 0'}"]
        if op == "exists":
            return [f"assert {call} is True"] if strong else [f"assert isinstance({call}, bool)"]
        if op in ("aggregate", "in_bulk"):
            return [f"assert isinstance({call}, dict)"]
        if op == "create":
            return [f"result = {call}", f"assert {manager}.filter(pk=result.pk).exists()"]
        if op in ("get_or_create", "update_or_create"):
            return [
                f"instance, _created = {call}",
                f"assert {manager}.filter(pk=instance.pk).exists()",
            ]
        if op == "bulk_create":
            return [f"assert all(item.pk for item in {call})"]
        if op in ("update", "bulk_update"):
            return [f"assert {call} {'>= 1' if strong else '>= 0'}"]
        if op == "delete" and method.uses[0].via == "manager":
            return [f"deleted, _per_model = {call}", "assert deleted >= 0"]
        if op == "delete":
            return [call, f"assert not {manager}.filter(pk=row.pk).exists()"]
        if op == "save":
            sums = [a for a, v in method.assigned.items() if isinstance(v, Assigned) and v.added and v.param]
            lines = [f"{attr}_before = row.{attr}" for attr in sums]
            lines += [f"result = {call}", "row.refresh_from_db()", "assert result.pk == row.pk"]
            for attr, value in method.assigned.items():
                if not isinstance(value, Assigned):
                    continue
                if value.augmented:
                    if attr in sums:
                        lines.append(f"assert row.{attr} == {attr}_before + {value.param.name}_value")
                    continue
                if value.param is not None:
                    lines.append(f"assert row.{attr} == {value.param.name}_value")
                elif value.has_literal:
                    lines.append(f"assert row.{attr} == {value.literal!r}")
                elif value.constant is not None:
                    lines.append(f"assert row.{attr} == {self.model(value.constant[0])}.{value.constant[1]}")
            return lines
        if op == "form_create":
            return [f"result = {call}", f"assert {manager}.filter(pk=result.pk).exists()"] + [
                f"assert list(result.{m}.all()) == data_value[{m!r}]" for m in method.form.many_to_many
            ]
        if op == "form_update":
            plain = [f for f in method.form.fields if f not in method.form.many_to_many]
            lines = [call, "row.refresh_from_db()"]
            lines += [f"assert row.{f} == data_value[{f!r}]" for f in plain]
            lines += [f"assert list(row.{m}.all()) == data_value[{m!r}]" for m in method.form.many_to_many]
            return lines
        if op.startswith("related_"):
            attr = method.related_attr
            verb = op.removeprefix("related_")
            if verb == "create":
                return [f"result = {call}", f"assert result in row.{attr}.all()"]
            if verb == "clear":
                return [call, f"assert not row.{attr}.exists()"]
            others = [p for p in method.params if p.model is not None and p.model != method.model]
            if not others:
                return [call, f"assert row.{attr}.count() >= 0"]
            first = f"{others[0].name}_value"
            if verb == "remove":
                return [f"row.{attr}.add({first})", call, f"assert {first} not in row.{attr}.all()"]
            return [call, f"assert {first} in row.{attr}.all()"]
        return None
