"""The app registry's answers to what a name in a view stands for, and what a model field is.

Only modules already imported are looked in (the import check imports every app module
first), so resolving a name never runs new code.
"""

import sys
from functools import cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from modkit.modularize.orm_scan import FormRef, ModelRef


def _lookup(dotted: str):
    module_name, _, attr = dotted.rpartition(".")
    module = sys.modules.get(module_name)
    return getattr(module, attr, None) if module is not None and attr else None


def model_ref(model: type[models.Model]) -> ModelRef:
    opts = model._meta
    related = {}
    for rel in opts.get_fields():
        if rel.is_relation and (rel.one_to_many or rel.many_to_many) and rel.related_model is not None:
            accessor = rel.get_accessor_name() if rel.auto_created else rel.name
            if accessor:
                related[accessor] = rel.related_model._meta.label
    managers = tuple(dict.fromkeys([m.name for m in opts.managers] + ["_default_manager", "_base_manager"]))
    return ModelRef(
        label=opts.label,
        name=model.__name__,
        module=_importable_module(model),
        managers=managers,
        default_manager=opts.default_manager.name if opts.default_manager else "objects",
        verbose_name=str(opts.verbose_name),
        related=related,
    )


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
        meta = getattr(obj, "_meta", None)
        model = getattr(meta, "model", None)
        base_fields = getattr(obj, "base_fields", None)
        if not (isinstance(obj, type) and model is not None and base_fields is not None):
            return None
        model_fields = {f.name for f in model._meta.get_fields() if not f.auto_created or f.concrete}
        fields = tuple(name for name in base_fields if name in model_fields)
        many = tuple(f.name for f in model._meta.many_to_many if f.name in fields)
        return FormRef(
            name=obj.__name__,
            module=obj.__module__,
            model=_cached_ref(model),
            fields=fields,
            many_to_many=many,
        )

    def user_model(self) -> ModelRef | None:
        return _cached_ref(get_user_model())

    def by_label(self, label: str) -> ModelRef | None:
        try:
            return _cached_ref(apps.get_model(label))
        except (LookupError, ValueError):
            return None


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
        name = model._meta.pk.name if part == "pk" else part
        try:
            candidate = model._meta.get_field(name)
        except Exception:
            return field, path, "__".join(parts[i:]) or "exact"
        if candidate.auto_created and not candidate.concrete:
            return None, path, "reverse"
        field = candidate
        path.append(name)
        if not field.is_relation and i < len(parts) - 1:
            return field, path, "__".join(parts[i + 1 :])
    return field, path, "exact"
