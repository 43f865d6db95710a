"""What every page of some apps answers, as a comparable record: run before and after a migration.

``python -m modkit.modularize.snapshot --apps catalog --out pages.json`` (in the project, with its
``DJANGO_SETTINGS_MODULE``) builds a test database as Django's test runner does (``DEBUG`` off,
migrations applied), fills it with a few deterministic rows per model of those apps, and asks
every page they serve with Django's test client as three visitors: anonymous, a signed-in user
without permissions, and a superuser. Pages are the URL patterns without arguments, plus each
route with arguments filled from one row (its primary key, or a field of the same name); a page
that does not exist is asked too, so error pages count. Each answer keeps its status, the headers
that matter and its body (CSRF tokens masked: they differ on every request by design). The clock
Django code reads (``timezone.now``) stands still at one moment in both snapshots.
"""

import argparse
import datetime
import hashlib
import json
import re
import sys
import uuid
from decimal import Decimal

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
HEADERS = ("Content-Type", "Location", "Cache-Control", "Content-Disposition", "Vary", "X-Frame-Options")
MISSING = "/this-page-does-not-exist-4f1c/"
PASSWORD = "snapshot-password-1"
EPOCH = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.UTC)
FROZEN = EPOCH + datetime.timedelta(days=1000)  # after every row's date (EPOCH + a few days)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", nargs="+", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    import django
    from django.utils import timezone

    # One moment for every page of both snapshots: a view showing the time (a form's initial
    # date, "published 3 minutes ago") answers the same on either side of a minute boundary.
    # Before setup, so a module that imports ``now`` itself gets this one. ``date.today()``
    # cannot be held still this way; such a page can still differ across midnight.
    timezone.now = lambda: FROZEN
    django.setup()
    from django.conf import settings
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=0, interactive=False)
    runner.setup_test_environment()
    databases = runner.setup_databases()
    try:
        pages = snapshot(args.apps)
    finally:
        runner.teardown_databases(databases)
        runner.teardown_test_environment()
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(pages, out, indent=1, sort_keys=True)
    return 0


def snapshot(labels: list[str]) -> dict:
    from django.apps import apps
    from django.test import Client

    rows = Rows()
    for label in labels:
        for model in apps.get_app_config(label).get_models():
            rows.fill(model)
    # A page that fails is an answer too (500), to compare like any other.
    visitors = {who: Client(raise_request_exception=False) for who in ("anonymous", "user", "superuser")}
    visitors["user"].force_login(rows.user(is_superuser=False))
    visitors["superuser"].force_login(rows.user(is_superuser=True))
    rows.settle_clocks([m for label in labels for m in apps.get_app_config(label).get_models()])
    answers = {}
    for url in [*pages_of(labels, rows), MISSING]:
        for who, client in visitors.items():
            answers[f"{who} GET {url}"] = _answer(client.get(url))
    return answers


def _answer(response) -> dict:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = CSRF.sub(r"\1-\2", body.decode("utf-8", "replace"))
    return {
        "status": response.status_code,
        "headers": {h: response.headers[h] for h in HEADERS if h in response.headers},
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "body": text[:4000],
    }


def pages_of(labels: list[str], rows: "Rows") -> list[str]:
    """Every URL the apps serve that can be filled in: no arguments, or arguments from a row."""
    from django.apps import apps
    from django.urls import get_resolver

    packages = tuple(apps.get_app_config(label).name for label in labels)
    found = []
    for pattern, callback, prefix in _walk(get_resolver().url_patterns, ""):
        module = getattr(callback, "__module__", "") or ""
        view_class = getattr(callback, "view_class", None)
        if view_class is not None:
            module = view_class.__module__
        if not module.startswith(packages):
            continue
        url = _fill(prefix + str(pattern.pattern), pattern, view_class, labels, rows)
        if url is not None:
            found.append(url)
    return list(dict.fromkeys(found))


def _walk(patterns, prefix: str):
    from django.urls import URLPattern, URLResolver

    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry, entry.callback, prefix


def _fill(route: str, pattern, view_class, labels: list[str], rows: "Rows") -> str | None:
    """The route with its arguments from a row, or None when it cannot be filled."""
    if "(?P<" in route or route.startswith("^"):
        return None  # regular expressions: left out rather than guessed
    names = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not names:
        return "/" + route
    model = _model_of(view_class)
    values = {}
    for converter, name in names:
        value = rows.value_for(name, converter or "str", model, labels)
        if value is None:
            return None
        values[name] = value
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def _model_of(view_class):
    if view_class is None:
        return None
    model = getattr(view_class, "model", None)
    queryset = getattr(view_class, "queryset", None)
    return model or getattr(queryset, "model", None)


class Rows:
    """A few rows per model, the same on every run (values come from a counter, not a clock)."""

    def __init__(self):
        self.serial = 0
        self.made: dict = {}

    def user(self, *, is_superuser: bool):
        from django.contrib.auth import get_user_model

        model = get_user_model()
        name = "snapshot-admin" if is_superuser else "snapshot-user"
        found = model._default_manager.filter(**{model.USERNAME_FIELD: name}).first()
        if found is None:
            make = model._default_manager.create_superuser if is_superuser else model._default_manager.create_user
            found = make(**{model.USERNAME_FIELD: name, "email": f"{name}@example.com", "password": PASSWORD})
        return found

    def fill(self, model, count: int = 2) -> None:
        from django.db import IntegrityError, transaction

        rows = self.made.setdefault(model, [])
        for _ in range(count * 2):
            # Rows a signal made (a profile per user) count, and stand in for those that clash with them.
            rows[:] = list(model._default_manager.order_by("pk")[:count])
            if len(rows) >= count:
                return
            try:
                with transaction.atomic():
                    self.make(model)
            except IntegrityError:
                continue

    def first(self, model):
        if not self.made.get(model):
            self.fill(model, 1)
        return self.made[model][0]

    def make(self, model):
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key and field.get_internal_type() != "UUIDField":
                continue
            if field.has_default() or field.null or getattr(field, "auto_now", False):
                if not field.primary_key:
                    continue
            values[field.attname if field.is_relation else field.name] = self.sample(field)
        row = model(**values)
        row.save()
        return row

    def sample(self, field):
        self.serial += 1
        n = self.serial
        if field.is_relation and field.unique:  # one-to-one: a related row of its own
            return self.make(field.related_model).pk
        if field.is_relation:
            return self.first(field.related_model).pk
        if field.choices:
            return field.flatchoices[0][0]
        return _typed(field, n)

    def settle_clocks(self, models: list) -> None:
        """Times the database set by itself (``auto_now``, ``default=timezone.now``) made equal on
        every run: a page showing when a row was created must not differ between two snapshots."""
        from django.contrib.auth import get_user_model

        for model in [*models, get_user_model()]:
            clocks = [f for f in model._meta.concrete_fields if _set_by_clock(f)]
            for pk in model._default_manager.values_list("pk", flat=True) if clocks else ():
                moment = EPOCH + datetime.timedelta(days=pk if isinstance(pk, int) else 0)
                values = {f.name: moment if f.get_internal_type() == "DateTimeField" else moment.date() for f in clocks}
                model._default_manager.filter(pk=pk).update(**values)

    def value_for(self, name: str, converter: str, model, labels: list[str]):
        from django.apps import apps

        candidates = [model] if model is not None else []
        candidates += [m for label in labels for m in apps.get_app_config(label).get_models()]
        for candidate in candidates:
            row = self.first(candidate)
            if name in ("pk", "id") or name == f"{candidate._meta.model_name}_id":
                value = row.pk
            elif any(f.name == name for f in candidate._meta.concrete_fields):
                value = getattr(row, name)
            else:
                continue
            if _converts(value, converter):
                return value
        return None


def _set_by_clock(field) -> bool:
    if field.get_internal_type() not in ("DateTimeField", "DateField"):
        return False
    automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return automatic or (field.has_default() and callable(field.default))


def _converts(value, converter: str) -> bool:
    checks = {
        "int": lambda v: isinstance(v, int),
        "uuid": lambda v: isinstance(v, uuid.UUID),
        "slug": lambda v: isinstance(v, str) and re.fullmatch(r"[-a-zA-Z0-9_]+", v) is not None,
        "str": lambda v: isinstance(v, str | int) and "/" not in str(v),
        "path": lambda v: isinstance(v, str | int),
    }
    return checks.get(converter, checks["str"])(value)


def _typed(field, n: int):
    kind = field.get_internal_type()
    epoch = EPOCH
    by_kind = {
        "EmailField": lambda: f"row{n}@example.com",
        "URLField": lambda: f"https://example.com/{n}",
        "SlugField": lambda: f"row-{n}",
        "UUIDField": lambda: uuid.UUID(int=n),
        "DecimalField": lambda: Decimal(n),
        "FloatField": lambda: float(n),
        "BooleanField": lambda: True,
        "DateTimeField": lambda: epoch + datetime.timedelta(days=n),
        "DateField": lambda: (epoch + datetime.timedelta(days=n)).date(),
        "TimeField": lambda: datetime.time(12, n % 60),
        "DurationField": lambda: datetime.timedelta(minutes=n),
        "JSONField": lambda: {"n": n},
    }
    if kind in by_kind:
        return by_kind[kind]()
    if kind.endswith(("IntegerField", "AutoField")):
        return n
    text = f"Row {n}"
    return text[: field.max_length] if getattr(field, "max_length", None) else text


def differences(before: dict, after: dict) -> list[str]:
    """One line per page that answers differently (or only on one side)."""
    found = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            found.append(f"{key}: {'new page' if old is None else 'no longer served'}")
        elif old != new:
            found.append(f"{key}: {_first_change(old, new)}")
    return found


def _first_change(old: dict, new: dict) -> str:
    if old["status"] != new["status"]:
        return f"status {old['status']} -> {new['status']}"
    if old["headers"] != new["headers"]:
        return f"headers {old['headers']} -> {new['headers']}"
    at = next((i for i, (a, b) in enumerate(zip(old["body"], new["body"], strict=False)) if a != b), None)
    if at is None:
        at = min(len(old["body"]), len(new["body"]))
    start = max(at - 40, 0)
    return f"body differs at character {at}: {old['body'][start : at + 60]!r} -> {new['body'][start : at + 60]!r}"


if __name__ == "__main__":
    sys.exit(main())
