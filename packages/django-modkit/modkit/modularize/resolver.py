"""The app registry's answers to what a name in a view stands for, and what a model field is.

Only modules already imported are looked in (the import check imports every app module
first), so resolving a name never runs new code.
"""

import ast
import inspect
import sys
import textwrap
from functools import cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from modkit.modularize.orm_facts import WRITE_CALLS, FormRef, ModelRef


def _lookup(dotted: str):
    module_name, _, attr = dotted.rpartition(".")
    module = sys.modules.get(module_name)
    return getattr(module, attr, None) if module is not None and attr else None


def model_ref(model: type[models.Model]) -> ModelRef:
    opts = model._meta
    managers = tuple(dict.fromkeys([m.name for m in opts.managers] + ["_default_manager", "_base_manager"]))
    return ModelRef(
        label=opts.label,
        name=model.__name__,
        module=_importable_module(model),
        managers=managers,
        default_manager=opts.default_manager.name if opts.default_manager else "objects",
        verbose_name=str(opts.verbose_name),
        related=_related_managers(opts),
        many_to_many=tuple(f.name for f in opts.many_to_many),
        ordering=tuple(str(o) for o in opts.ordering or ()),
        pk=opts.pk.name,
        writers=method_writes(model),
        **_field_facts([f for f in opts.get_fields() if not f.auto_created or f.concrete]),
    )


def _related_managers(opts) -> dict[str, str]:
    """Related manager attribute -> model label (``order.lines``, ``post.tags``, ``question.choice_set``)."""
    related = {}
    for rel in opts.get_fields():
        if rel.is_relation and (rel.one_to_many or rel.many_to_many) and rel.related_model is not None:
            accessor = rel.get_accessor_name() if rel.auto_created else rel.name
            if accessor:
                related[accessor] = rel.related_model._meta.label
    return related


def _field_facts(own: list) -> dict:
    """What naming and the generic views need of the model's own fields."""
    return {
        "fields": {f.name: _kind(f) for f in own},
        "forward": {f.name: f.related_model._meta.label for f in own if f.is_relation and f.related_model},
        "choices": {f.name: _choices(f) for f in own if getattr(f, "choices", None)},
        "editable": tuple(f.name for f in own if _in_model_form(f)),
    }


def _choices(field) -> dict:
    return {value: str(label) for value, label in field.flatchoices}


def _kind(field) -> str:
    get = getattr(field, "get_internal_type", None)
    return get() if get is not None else type(field).__name__


def _in_model_form(field) -> bool:
    """What ``fields = "__all__"`` puts in a model form: editable fields, no auto primary key."""
    return getattr(field, "editable", False) and not _kind(field).endswith("AutoField")


LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
NOT_WRITERS = {"save", "delete", "clean", "full_clean", "refresh_from_db"}


def method_writes(model) -> dict[str, int]:
    """The model's own methods that write, and how many writes each does (one in a loop counts twice)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(model)))
    except (OSError, TypeError, SyntaxError):
        return {}
    found = {}
    for node in tree.body[0].body if tree.body else []:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name not in NOT_WRITERS:
            writes = sum(_writes(statement, False) for statement in node.body)
            if writes:
                found[node.name] = writes
    return found


def _writes(node: ast.AST, looped: bool) -> int:
    own = 0
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_CALLS:
        own = 2 if looped else 1
    inner = looped or isinstance(node, LOOPS)
    return own + sum(_writes(child, inner) for child in ast.iter_child_nodes(node))


def _importable_module(model) -> str:
    """``shop.models`` rather than ``shop.models.orders`` when the package re-exports the class."""
    package = f"{model._meta.app_config.name}.models"
    owner = sys.modules.get(package)
    if owner is not None and getattr(owner, model.__name__, None) is model:
        return package
    return model.__module__


class DjangoResolver:
    def model(self, dotted: str) -> ModelRef | None:
        obj = _lookup(dotted)
        if isinstance(obj, type) and issubclass(obj, models.Model) and not obj._meta.abstract:
            return _cached_ref(obj)
        return None

    def form(self, dotted: str) -> FormRef | None:
        obj = _lookup(dotted)
        model = _form_model(obj)
        if model is None:
            return None
        model_fields = {f.name for f in model._meta.get_fields() if not f.auto_created or f.concrete}
        fields = tuple(name for name in obj.base_fields if name in model_fields)
        return FormRef(
            name=obj.__name__,
            module=obj.__module__,
            model=_cached_ref(model),
            fields=fields,
            many_to_many=tuple(f.name for f in model._meta.many_to_many if f.name in fields),
            custom_save=_own_save(obj),
        )

    def generic_view(self, dotted: str) -> str | None:
        """The Django generic view a project's own base view class derives from (``ListView``...)."""
        from modkit.modularize.cbv_scan import GENERIC_KINDS

        obj = _lookup(dotted)
        for cls in getattr(obj, "__mro__", ()):
            if cls.__module__.startswith("django.views.generic") and cls.__name__ in GENERIC_KINDS:
                return cls.__name__
        return None

    def user_model(self) -> ModelRef | None:
        return _cached_ref(get_user_model())

    def by_label(self, label: str) -> ModelRef | None:
        try:
            return _cached_ref(apps.get_model(label))
        except (LookupError, ValueError):
            return None


def _form_model(obj):
    """The model of a ModelForm class, None for anything else."""
    model = getattr(getattr(obj, "_meta", None), "model", None)
    if isinstance(obj, type) and model is not None and getattr(obj, "base_fields", None) is not None:
        return model
    return None


def _own_save(form_class) -> bool:
    """The form class (or a project's base of it) overrides ``save()``."""
    return any("save" in vars(cls) for cls in form_class.__mro__ if not cls.__module__.startswith("django."))


@cache
def _cached_ref(model) -> ModelRef:
    return model_ref(model)


def model_class(label: str):
    return apps.get_model(label)


def lookup_field(label: str, lookup: str):
    """The model field a ``filter()`` keyword names, and the path to it from the model.

    ``customer__user__username__iexact`` on ``shop.Order`` -> (``username`` field,
    ["customer", "user", "username"], "iexact"). Reverse relations end the walk: (None, ...).
    """
    model = apps.get_model(label)
    parts = lookup.split("__")
    path: list[str] = []
    field = None
    for i, part in enumerate(parts):
        if field is not None and field.is_relation:
            model = field.related_model
        candidate = _field(model, part)
        if candidate is None or (candidate.auto_created and not candidate.concrete):
            return _walk_end(field, candidate, path, parts[i:])
        field = candidate
        path.append(model._meta.pk.name if part == "pk" else part)
        if not field.is_relation and i < len(parts) - 1:
            return field, path, "__".join(parts[i + 1 :])
    return field, path, "exact"


def _walk_end(field, candidate, path: list[str], rest: list[str]):
    """No such field: the rest is the lookup; a reverse relation: no field to tell a type by."""
    if candidate is None:
        return field, path, "__".join(rest) or "exact"
    return None, path, "reverse"


def _field(model, part: str):
    try:
        return model._meta.get_field(model._meta.pk.name if part == "pk" else part)
    except Exception:
        return None
