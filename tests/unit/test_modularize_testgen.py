"""The generated test file of a migrated app: TestCase, rows that satisfy the query, honest gaps.

The methods below describe a small service over Django's auth models as the service builder
would (operation, parameters and what they are compared with, the query); the test file is
generated for it, checked with ruff, and its tests are run against the real service: they pass,
and they fail against a service that forgets a filter.
"""

import ast
import shutil
import subprocess
import sys
import types
import unittest
from pathlib import Path
from types import SimpleNamespace

import pytest
from dependency_injector import containers, providers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from modkit import BaseModule, module
from modkit.modularize.lifting import Param
from modkit.modularize.naming import Imports
from modkit.modularize.plan import _field_info
from modkit.modularize.resolver import model_ref
from modkit.modularize.servicegen import Assigned, Method
from modkit.modularize.testcode import call
from modkit.modularize.testfile import test_file as render_test_file
from modkit.modularize.testgen import KINDS, TestWriter
from modkit.modularize.testrows import NoRow, constant_constraint

MODULARIZE = Path(__file__).resolve().parents[2] / "packages" / "django-modkit" / "modkit" / "modularize"
User = get_user_model()  # the project's (a swapped user model is the usual case)
USER, GROUP, PERMISSION = model_ref(User), model_ref(Group), model_ref(Permission)
U = USER.label
NOT_FOUND = ("django.core.exceptions", "ObjectDoesNotExist")


# the service under test, as migrate_to_modules would have written it
class ProbeService:
    def count_active_users(self):
        return User.objects.filter(is_active=True).count()

    def list_groups_named(self, *, name):
        return Group.objects.filter(name=name).order_by("name")

    def get_permission(self, *, codename, content_type):
        try:
            return Permission.objects.get(codename=codename, content_type=content_type)
        except Permission.DoesNotExist:
            raise ObjectDoesNotExist("No permission matches the given query.") from None

    def has_staff_users(self, *, username):
        return User.objects.filter(is_staff=True, username__iexact=username).exists()

    def list_users_joined_before_now(self):
        return User.objects.filter(date_joined__lte=timezone.now())

    def deactivate_users(self, *, username):
        return User.objects.filter(username=username).update(is_active=False)

    def delete_groups(self, *, name):
        return Group.objects.filter(name=name).delete()

    def rename_user(self, *, user, first_name):
        user.first_name = first_name
        user.save()
        return user

    def add_user_group(self, *, user, group):
        user.groups.add(group)

    def create_group(self, *, name):
        return Group.objects.create(name=name)

    def get_or_create_group(self, *, name):
        return Group.objects.get_or_create(name=name)

    def list_no_users(self):
        return User.objects.none()

    def list_users_sorted(self, *, sort):
        return User.objects.order_by(sort)

    def mark_user_seen(self, *, user):
        user.save()


class ForgetfulService(ProbeService):
    """Returns everything: the generated tests must notice."""

    def count_active_users(self):
        return User.objects.count()

    def list_groups_named(self, *, name):
        return Group.objects.all()

    def has_staff_users(self, *, username):
        return User.objects.exists()

    def list_users_joined_before_now(self):
        return User.objects.all()

    def deactivate_users(self, *, username):
        return User.objects.update(is_active=False)

    def delete_groups(self, *, name):
        return Group.objects.all().delete()


class ProbeContainer(containers.DeclarativeContainer):
    probe_service = providers.Factory(ProbeService)


@module(name="probe", version="1.0.0", description="The generated tests' subject", author="tests")
class ProbeModule(BaseModule):
    container_class = ProbeContainer


def expr(code: str) -> ast.AST:
    return ast.parse(code, mode="eval").body


def param(name: str, feeds=None, model=None) -> Param:
    return Param(name=name, source=name, key=name, feeds=feeds, model=model)


def method(name, operation, model, *, params=(), query=None, lookups=None, strong=True, **extra) -> Method:
    return Method(
        name=name,
        operation=operation,
        model=model,
        params=list(params),
        returns=None,
        body=extra.pop("body", []),
        uses=[],
        lookups=lookups or {},
        strong=strong,
        query=(expr(query), None, None) if query else None,
        **extra,
    )


first_name = param("first_name", (U, "first_name"))
METHODS = [
    method(
        "count_active_users",
        "count",
        USER,
        query="User.objects.filter(is_active=True).count()",
        lookups={"is_active": True},
    ),
    method(
        "list_groups_named",
        "list",
        GROUP,
        params=[param("name", ("auth.Group", "name"))],
        query='Group.objects.filter(name=name).order_by("name")',
    ),
    method(
        "get_permission",
        "get_or_404",
        PERMISSION,
        params=[
            param("codename", ("auth.Permission", "codename")),
            param("content_type", ("auth.Permission", "content_type")),
        ],
        query="Permission.objects.get(codename=codename, content_type=content_type)",
        body=[
            "try:",
            "    return ...",
            "except Permission.DoesNotExist:",
            "    raise ObjectDoesNotExist('...') from None",
        ],
    ),
    method(
        "has_staff_users",
        "exists",
        USER,
        params=[param("username", (U, "username__iexact"))],
        query="User.objects.filter(is_staff=True, username__iexact=username).exists()",
        lookups={"is_staff": True},
    ),
    method(
        "list_users_joined_before_now",
        "list",
        USER,
        query="User.objects.filter(date_joined__lte=timezone.now())",
        strong=False,  # the service builder cannot follow timezone.now(): the test generator can
    ),
    method(
        "deactivate_users",
        "update",
        USER,
        params=[param("username", (U, "username"))],
        query="User.objects.filter(username=username).update(is_active=False)",
        lookups={"is_active": False},
    ),
    method(
        "delete_groups",
        "delete",
        GROUP,
        params=[param("name", ("auth.Group", "name"))],
        query="Group.objects.filter(name=name).delete()",
    ),
    method(
        "rename_user",
        "save",
        USER,
        params=[param("user", model=USER), first_name],
        assigned={"first_name": Assigned(param_name="first_name", param=first_name)},
        strong=False,
    ),
    method(
        "add_user_group",
        "related_add",
        USER,
        params=[param("user", model=USER), param("group", model=GROUP)],
        related_attr="groups",
        related_model=GROUP,
    ),
    method("create_group", "create", GROUP, params=[param("name", ("auth.Group", "name"))]),
    method("get_or_create_group", "get_or_create", GROUP, params=[param("name", ("auth.Group", "name"))]),
    method("list_no_users", "list", USER, query="User.objects.none()"),
    method(
        "list_users_sorted", "list", USER, params=[param("sort")], query="User.objects.order_by(sort)", strong=False
    ),
    method("mark_user_seen", "model_method", USER, params=[param("user", model=USER)]),
]

PLAN = SimpleNamespace(
    name="probe",
    service_class="ProbeService",
    service_name="probe_service",
    module_class="ProbeModule",
    container_class="ProbeContainer",
    module_import=__name__,
    service_import=__name__,
    dependency_classes=[],
    registry_members=["ProbeModule()"],
)


def generate(methods=METHODS) -> tuple[str, TestWriter]:
    imports = Imports(local_packages={"tests", "marketplace"})
    writer = TestWriter(imports=imports, field_info=_field_info, not_found=NOT_FOUND)
    for m in methods:
        writer.add(m)
    return render_test_file(PLAN, writer.result, imports), writer


@pytest.fixture(scope="module")
def generated() -> str:
    return generate()[0]


def load(text: str, service_class=ProbeService):
    """The generated file as a module, its container building ``service_class``."""
    namespace = types.ModuleType("generated_probe_tests")
    ProbeContainer.probe_service.override(providers.Factory(service_class))
    exec(compile(text, "generated_probe_tests.py", "exec"), namespace.__dict__)
    return namespace


def run(text: str, service_class=ProbeService) -> unittest.TestResult:
    try:
        tests = unittest.defaultTestLoader.loadTestsFromTestCase(load(text, service_class).ProbeServiceTests)
        result = unittest.TestResult()
        tests.run(result)
        return result
    finally:
        ProbeContainer.probe_service.reset_override()


def names(result: unittest.TestResult) -> set[str]:
    return {test.id().rsplit(".", 1)[-1] for test, _trace in result.failures + result.errors}


def test_the_file_is_one_django_test_case_with_the_service_built_by_the_container(generated):
    assert "import pytest" not in generated and "pytestmark" not in generated
    assert "from django.test import TestCase" in generated
    assert "class ProbeServiceTests(TestCase):" in generated
    assert "        self.service = ProbeContainer().probe_service()" in generated
    assert "    def test_the_module_passes_the_registry_validation(self):" in generated
    assert "    def test_the_module_starts_and_is_healthy(self):" in generated
    assert "written by migrate_to_modules" in generated[:400]


def test_test_names_say_the_behaviour(generated):
    for name in (
        "test_count_active_users_counts_only_matching_rows",
        "test_list_groups_named_returns_only_matching_rows",
        "test_get_permission_returns_the_matching_row",
        "test_get_permission_raises_not_found_without_a_match",
        "test_has_staff_users_is_true_only_for_a_matching_row",
        "test_list_users_joined_before_now_returns_only_matching_rows",
        "test_deactivate_users_changes_only_matching_rows",
        "test_delete_groups_deletes_only_matching_rows",
        "test_rename_user_saves_the_changes",
        "test_add_user_group_links_the_row",
        "test_create_group_saves_a_new_row",
        "test_get_or_create_group_creates_once_then_returns_the_same_row",
        "test_list_no_users_returns_user_rows",  # none() hides the filter: the kind of answer only
    ):
        assert f"    def {name}(self):" in generated, name


def test_rows_satisfy_the_filter_and_a_second_row_misses_it(generated):
    assert "        make(User, is_active=True)\n        make(User, is_active=False)\n" in generated
    assert "        row = make(Group, name=name)\n" in generated
    assert '        make(Group, name="other")\n' in generated
    assert "        self.assertEqual(list(result), [row])\n" in generated
    # a relation gets a saved row; the row differing in it gets another one
    assert "        content_type = make(ContentType)\n" in generated
    assert "        make(Permission, codename=codename, content_type=make(ContentType))\n" in generated
    assert "        row = make(User, date_joined=timezone.now() - timedelta(days=1))\n" in generated


def test_what_cannot_be_derived_is_listed_not_skipped(generated):
    head = generated.split('"""')[1]
    assert "Not exercised here (test them by hand):" in head
    assert "- list_users_sorted (no value for sort)" in head
    assert "- mark_user_seen (operation 'model_method' is not covered)" in head
    assert "def test_list_users_sorted" not in generated and "def test_mark_user_seen" not in generated


def test_only_the_helpers_the_tests_use_are_written():
    text, _writer = generate([m for m in METHODS if m.operation == "count"])
    assert "def make(" in text and "def sample(" in text and "def build(" not in text
    text, _writer = generate([])
    for name in ("def make(", "def sample(", "_serial", "import itertools", "from decimal import Decimal"):
        assert name not in text


def test_a_new_instance_is_built_unsaved_and_saved_by_the_method():
    new = method("create_user", "save", USER, params=[param("user", model=USER)], strong=False)
    new.uses = [SimpleNamespace(new_instance=True, via="instance")]
    text, _writer = generate([new])
    assert "        row = build(User)\n" in text and "def build(" in text


def test_the_generated_file_is_ruff_clean(generated, tmp_path):
    ruff = shutil.which("ruff") or str(Path(sys.prefix) / "bin" / "ruff")
    path = tmp_path / "test_probe_service.py"
    path.write_text(generated)
    lint = [ruff, "check", "--no-cache", "--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "120"]
    found = subprocess.run([*lint, str(path)], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert found.returncode == 0, found.stdout
    style = subprocess.run(
        [ruff, "format", "--check", "--isolated", "--line-length", "120", str(path)], capture_output=True, text=True
    )
    assert style.returncode == 0, style.stdout + style.stderr


@pytest.mark.django_db
def test_the_generated_tests_pass_on_the_service(generated):
    result = run(generated)
    assert result.testsRun >= 16
    assert not result.failures and not result.errors, [trace for _test, trace in result.failures + result.errors]


@pytest.mark.django_db
def test_the_generated_tests_catch_a_service_that_forgets_its_filters(generated):
    result = run(generated, ForgetfulService)
    assert names(result) == {
        "test_count_active_users_counts_only_matching_rows",
        "test_list_groups_named_returns_only_matching_rows",
        "test_has_staff_users_is_true_only_for_a_matching_row",
        "test_list_users_joined_before_now_returns_only_matching_rows",
        "test_deactivate_users_changes_only_matching_rows",
        "test_delete_groups_deletes_only_matching_rows",
    }


def test_an_unknown_operation_or_a_method_without_model_is_listed():
    _text, writer = generate(
        [
            method("sync", "teleport", USER),
            method("ping", "count", None),
            method("x", "list", USER, params=[param("q")]),
        ]
    )
    assert writer.result.untested == [
        "sync (operation 'teleport' is not covered)",
        "ping (no model)",
        "x (no value for q)",
    ]
    assert writer.result.cases == []


def test_a_failed_attempt_leaves_no_import_behind():
    imports = Imports()
    writer = TestWriter(imports=imports, field_info=_field_info, not_found=NOT_FOUND)
    writer.add(
        method("x", "list", PERMISSION, params=[param("content_type", ("auth.Permission", "content_type")), param("q")])
    )
    assert imports.lines() == []


def test_every_operation_kind_has_a_writer():
    from modkit.modularize.orm_facts import READ_TERMINALS, WRITE_METHODS

    assert set(READ_TERMINALS.values()) | WRITE_METHODS | {"list", "values", "save"} <= set(KINDS)


# values worked out from the fields
def field(kind=models.CharField, **options):
    found = kind(**options)
    found.set_attributes_from_name("status")
    return found


def constraint(found, lookup, value):
    return constant_constraint(None, (found, ["status"], lookup), value)


def test_a_choice_filter_gets_that_choice_and_the_other_row_another_one():
    status = field(max_length=1, choices=[("m", "Maintenance"), ("o", "On loan"), ("a", "Available")])
    found = constraint(status, "exact", "a")
    assert (found.value, found.other) == ("'a'", "'m'")
    found = constraint(status, "in", ["m", "o"])
    assert (found.value, found.other) == ("'m'", "'a'")


def test_a_text_filter_gets_a_text_that_misses_it():
    title = field(max_length=200)
    assert constraint(title, "icontains", "the").other == "'zz'"  # "other" contains "the"
    assert constraint(title, "exact", "x").other == "'other'"
    assert constraint(field(models.BooleanField), "exact", True).other == "False"
    number = constraint(field(models.IntegerField), "gt", 3)
    assert (number.value, number.other) == ("4", "2")


def test_filters_no_made_row_can_meet_are_refused():
    with pytest.raises(NoRow):
        constraint(field(max_length=5), "regex", "^a")
    with pytest.raises(NoRow):
        constraint(field(max_length=5), "isnull", True)  # the field is never null


def test_long_calls_are_laid_out_like_the_formatter_does():
    short = call("self.service.go", ["a=a"], prefix="result = ")
    assert short == "result = self.service.go(a=a)"
    args = [f"argument_{i}=value_{i}" for i in range(5)]
    assert call("self.service.a_rather_long_method_name_for_a_service", args, prefix="result = ").split("\n") == [
        "result = self.service.a_rather_long_method_name_for_a_service(",
        "    " + ", ".join(args),
        ")",
    ]
    many = [f"argument_{i}=value_{i}" for i in range(8)]
    assert call("self.service.go", many).split("\n")[1:3] == ["    argument_0=value_0,", "    argument_1=value_1,"]


def test_no_function_of_the_migration_tool_is_complex():
    # mccabe through ruff (a test dependency already): at most 20, radon's rank C.
    ruff = shutil.which("ruff") or str(Path(sys.prefix) / "bin" / "ruff")
    config = ["--config", "lint.mccabe.max-complexity = 20", "--select", "C901", "--no-cache", "--isolated"]
    found = subprocess.run([ruff, "check", *config, str(MODULARIZE)], capture_output=True, text=True)
    assert found.returncode == 0, found.stdout
