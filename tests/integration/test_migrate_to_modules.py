"""``migrate_to_modules`` on a legacy project (``tests/fixtures/legacy_project``), in subprocesses.

The project has five plain apps: inventory, shop and blog with views that use the ORM directly,
notes (models, no views) and pricing (code, no models); and one dependency cycle (inventory's
views import shop's models; shop's models point at inventory's). It is someone else's project
using modkit alone (``"modkit"`` in its ``INSTALLED_APPS``, nothing of the marketplace): the files
go inside each app's package and the modules are enabled by ``MODKIT_MODULES``. Each scenario
works on its own copy with its own SQLite database.
"""

import ast
import json
import re

import pytest

from tests.support.corpus import (
    changes,
    enabled_entries,
    expected_files,
    ran_count,
    settings_line,
    steps,
    unittest_methods,
)
from tests.support.legacy import LEGACY_APPS, LegacyProject

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

CMD = "migrate_to_modules"
SERVICES = ("inventory", "shop", "blog", "notes")  # the apps with models get a service; pricing has none
CLASSES = [f"{app}.module.{app.capitalize()}Module" for app in LEGACY_APPS]


def _planned(project) -> list[str]:
    return sorted(f for app in LEGACY_APPS for f in expected_files(project.root, app, service=app in SERVICES))


@pytest.fixture(scope="module")
def blocked(tmp_path_factory):
    """The project as it is: validated before and after ``migrate``, then asked to migrate."""
    project = LegacyProject(tmp_path_factory.mktemp("legacy-blocked") / "project")
    found = {"unmigrated": project.manage(CMD, "--validate-only", "--json")}
    assert project.manage("migrate", "-v0").code == 0
    found["validate"] = project.manage(CMD, "--validate-only", "--json")
    found["validate_text"] = project.manage(CMD, "--validate-only")
    before = project.files()
    found["dry_run"] = project.manage(CMD, "--dry-run")
    found["run"] = project.manage(CMD)
    found["changed_by_blocked_run"] = changes(before, project.files())
    found["unknown_app"] = project.manage(CMD, "--validate-only", "--apps", "warehouse")
    found["django_app"] = project.manage(CMD, "--validate-only", "--apps", "auth")
    found["modkit_app"] = project.manage(CMD, "--validate-only", "--apps", "modkit")
    found["bad_name"] = project.manage(CMD, "--dry-run", "--apps", "notes", "--name", "notes")
    # A service file of the developer's own where the migration would write the notes service.
    own = project.root / "notes" / "notes_service.py"
    own.write_text('"""Helpers of our own for the notes."""\n')
    found["taken"] = project.manage(CMD, "--dry-run", "--json", "--apps", "notes")
    found["renamed"] = project.manage(CMD, "--dry-run", "--apps", "notes", "--name", "notes=memo")
    own.unlink()
    before = project.files()
    found["blog_only"] = project.manage(CMD, "--apps", "blog", "--json")
    found["blog_only_changes"] = changes(before, project.files())
    found["blog_pytest"] = project.pytest("blog/test_blog_service.py")
    found["blog_django_tests"] = project.manage("test", "blog", "-v", "2")
    found["files"] = project.files()
    return found


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """The same project once the cycle is broken: dry run, run, run again, generated tests, runtime."""
    project = LegacyProject(tmp_path_factory.mktemp("legacy-migrated") / "project")
    project.break_the_cycle()
    assert project.manage("migrate", "-v0").code == 0
    found = {"project": project, "validate": project.manage(CMD, "--validate-only")}
    before = project.files()
    found["dry_run"] = project.manage(CMD, "--dry-run")
    found["dry_run_json"] = project.manage(CMD, "--dry-run", "--json")
    found["dry_run_changes"] = changes(before, project.files())
    found["run"] = project.manage(CMD)
    after = project.files()
    found["changes"] = changes(before, after)
    found["files"] = after
    found["second_run"] = project.manage(CMD, "--json")
    found["second_run_text"] = project.manage(CMD)
    found["second_run_changes"] = changes(after, project.files())
    generated = [p for p in found["changes"][0] if p.rpartition("/")[2].startswith("test_")]
    found["generated_tests"] = generated
    found["pytest"] = project.pytest("-vv", *generated) if generated else None
    found["django_tests"] = project.manage("test", "-v", "2")
    shop_module = project.root / "shop" / "module.py"
    if shop_module.is_file():
        declared = shop_module.read_text()
        shop_module.write_text(re.sub(r"dependencies=\[[^\]]*\]", "dependencies=[]", declared))
        found["undeclared"] = project.manage(CMD, "--validate-only", "--json", "--apps", "shop")
        shop_module.write_text(declared)
    found["line"] = line = settings_line(found["run"].stdout)
    if line is not None:
        enabled = {"DJANGO_SETTINGS_MODULE": project.settings_with(line)}
        found["enabled_validate"] = project.manage(CMD, "--validate-only", "--json", env=enabled)
        found["runtime"] = project.manage("shell", "-c", RUNTIME_CHECK, env=enabled)
        found["health"] = project.manage("health", env=enabled)
    return found


RUNTIME_CHECK = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from modkit.current import active

runtime = active()
runtime.ensure_started()
services = {}
for name in ("inventory_service", "shop_service", "blog_service", "notes_service"):
    service = runtime.services.get(name).provider()
    services[name] = f"{type(service).__module__}.{type(service).__qualname__}"
user = get_user_model().objects.create_user("dana", password="x" * 12)
from shop.models import Customer, Order
order = Order.objects.create(customer=Customer.objects.create(user=user), note="first")
client = Client()
client.force_login(user)
orders = client.get("/shop/orders/")
health = client.get("/modkit/health/")
reload_service = runtime.reload_service("shop_service")
reload_module = runtime.reload_module("blog")
print(json.dumps({
    "states": runtime.modules.states(),
    "services": services,
    "from_the_container": type(runtime.module_container("shop").shop_service()).__name__,
    "health": runtime.health()["status"],
    "health_page": [health.status_code, health.json()["status"], sorted(health.json()["modules"])],
    "orders_page": [orders.status_code, f"#{order.pk}" in orders.content.decode()],
    "reload_service": reload_service.ok,
    "reload_module": reload_module.ok,
    "after_reloads": {
        "shop_service": type(runtime.services.get("shop_service").provider()).__name__,
        "blog_service": type(runtime.services.get("blog_service").provider()).__name__,
        "blog": runtime.modules.states()["blog"],
    },
}))
"""


# --validate-only
def test_unapplied_migrations_block(blocked):
    run = blocked["unmigrated"]
    assert run.code == 1, run
    apps = {app["label"]: app for app in run.json["apps"]}
    for label in ("inventory", "shop", "blog"):
        assert apps[label]["migrations"]["unapplied"] == ["0001_initial"]
        assert any("unapplied migrations: 0001_initial" in b for b in apps[label]["blockers"])


def test_the_cycle_is_reported_with_its_path_and_blocks(blocked):
    run = blocked["validate"]
    assert run.code == 1, run
    report = run.json
    assert report["graph"]["cycles"] == ["inventory -> shop -> inventory"]
    apps = {app["label"]: app for app in report["apps"]}
    assert apps["blog"]["blockers"] == [] and apps["blog"]["ok"] is True
    assert apps["shop"]["blockers"] == ["dependency cycle: inventory -> shop -> inventory"]
    assert apps["inventory"]["blockers"] == ["dependency cycle: inventory -> shop -> inventory"]
    assert "dependency cycle: inventory -> shop -> inventory" in run.stderr + "".join(report["blockers"])
    text = blocked["validate_text"]
    assert text.code == 1
    assert "inventory -> shop -> inventory" in text.stdout
    assert "import: from shop.models import OrderLine (inventory/views.py:6)" in text.stdout


def test_the_graph_comes_from_relations_and_imports(blocked):
    edges = blocked["validate"].json["graph"]["edges"]
    found = {(e["source"], e["target"], e["kind"], e["detail"]) for e in edges}
    assert (
        "shop",
        "inventory",
        "relation",
        "shop.OrderLine.product -> inventory.Product (ForeignKey)",
    ) in found
    assert (
        "blog",
        "inventory",
        "relation",
        "blog.Post.product -> inventory.Product (ForeignKey)",
    ) in found
    assert ("inventory", "shop", "import", "from shop.models import OrderLine") in found
    assert ("inventory", "pricing", "import", "from pricing.formatting import format_sat") in found
    assert ("notes", "shop", "relation", "notes.Note.order -> shop.Order (ForeignKey)") in found
    apps = {app["label"]: app for app in blocked["validate"].json["apps"]}
    assert apps["blog"]["external_dependencies"] == ["auth"]  # Post.author -> auth.User, outside


def test_migrations_and_modules_are_reported_per_app(blocked):
    apps = {app["label"]: app for app in blocked["validate"].json["apps"]}
    assert sorted(apps) == sorted(LEGACY_APPS)  # modkit and Django's apps are not the project's
    for label in ("inventory", "shop", "blog"):
        assert apps[label]["imports"]["ok"] is True
        assert apps[label]["migrations"]["applied"] == ["0001_initial"]
        assert apps[label]["migrations"]["missing"] == []
        assert apps[label]["module"] is None


def test_every_direct_model_use_in_views_is_listed_with_file_and_line(blocked):
    apps = {app["label"]: app for app in blocked["validate"].json["apps"]}
    uses = {(u["file"], u["line"], u["view"], u["operation"]) for u in apps["shop"]["orm_uses"]}
    assert uses >= {
        ("shop/views.py", 13, "order_list", "list"),
        ("shop/views.py", 19, "order_detail", "get_or_404"),
        ("shop/views.py", 26, "place_order", "get"),
        ("shop/views.py", 27, "place_order", "get_or_404"),
        ("shop/views.py", 28, "place_order", "create"),
        ("shop/views.py", 29, "place_order", "related_create"),
        ("shop/views.py", 36, "cancel_order", "get_or_404"),
        ("shop/views.py", 38, "cancel_order", "save"),
        ("shop/views.py", 45, "delete_order", "get_or_404"),
        ("shop/views.py", 46, "delete_order", "delete"),
    }, uses
    assert {file for file, *_ in uses} == {"shop/views.py"}
    blog = {(u["line"], u["view"], u["model"]) for u in apps["blog"]["orm_uses"]}
    assert (12, "PostListView", "blog.Post") in blog  # a class attribute queryset
    assert (37, "post_edit", "blog.Post") in blog  # a ModelForm's save()
    assert (47, "tag_post", "blog.Post") in blog  # a many-to-many add


def test_direct_orm_use_is_work_not_a_blocker(blocked):
    apps = {app["label"]: app for app in blocked["validate"].json["apps"]}
    assert apps["blog"]["orm_uses"] and apps["blog"]["ok"] is True


def test_a_blocked_project_gets_no_plan_and_nothing_changes(blocked):
    dry_run = blocked["dry_run"]
    assert dry_run.code == 1, dry_run
    assert "Plan:" not in dry_run.stdout  # a plan built while something blocks would mislead
    assert "Blocking (2):" in dry_run.stdout
    assert "  - shop: dependency cycle: inventory -> shop -> inventory" in dry_run.stdout
    run = blocked["run"]
    assert run.code == 1, run
    assert "Verified in a staged copy" not in run.stdout and "Created:" not in run.stdout
    assert blocked["changed_by_blocked_run"] == ([], [], [])


def test_a_refused_run_says_nothing_was_written(blocked):
    run = blocked["run"]
    assert run.code == 1, run
    assert "Nothing was written" in run.stdout, run


def test_bad_app_names_are_refused_clearly(blocked):
    assert blocked["unknown_app"].code == 2
    assert "no installed app is labelled 'warehouse'" in blocked["unknown_app"].stderr
    assert blocked["django_app"].code == 2
    assert "auth is installed but is not one of the project's own apps" in blocked["django_app"].stderr
    assert blocked["modkit_app"].code == 2
    assert "modkit is installed but is not one of the project's own apps" in blocked["modkit_app"].stderr
    assert blocked["bad_name"].code == 2
    assert "--name takes APP=NAME, not 'notes'" in blocked["bad_name"].stderr


def test_a_name_already_taken_blocks_and_another_can_be_chosen(blocked):
    taken = blocked["taken"]
    assert taken.code == 1, taken
    (notes,) = taken.json["plan"]["apps"]
    assert notes["blockers"] == [
        "notes/notes_service.py exists and was not written by migrate_to_modules: pass --name notes=<another name>"
    ]
    assert taken.json["ok"] is False and taken.json["plan"]["blockers"] == [f"notes: {notes['blockers'][0]}"]
    renamed = blocked["renamed"]
    assert renamed.code == 0, renamed
    assert "== notes -> module 'memo' ==" in renamed.stdout
    assert "file      notes/memo_service.py (new)" in renamed.stdout
    assert "file      notes/module.py (new)" in renamed.stdout
    assert 'MODKIT_MODULES = ["notes.module.MemoModule"]' in renamed.stdout


def test_an_app_outside_the_cycle_can_be_migrated_alone(blocked):
    run = blocked["blog_only"]
    assert run.code == 0, run
    assert blocked["blog_only_changes"] == (
        ["blog/blog_service.py", "blog/module.py", "blog/test_blog_service.py"],
        [],
        [],
    )
    plan = run.json["plan"]["apps"][0]
    # inventory has no module yet: the dependency is noted, not declared (the registry would refuse it)
    assert plan["dependencies"] == []
    assert any("depends on inventory, which has no module" in note for note in plan["notes"])
    assert run.json["plan"]["settings"]["lines"] == ['MODKIT_MODULES = ["blog.module.BlogModule"]']
    assert all(step["passed"] for step in run.json["result"]["verified"]), run.json["result"]
    assert blocked["blog_pytest"].code == 0, blocked["blog_pytest"]
    django_tests = blocked["blog_django_tests"]
    assert django_tests.code == 0, django_tests
    methods = unittest_methods(blocked["files"]["blog/test_blog_service.py"])
    assert methods, "the generated blog test defines no TestCase test"
    assert ran_count(django_tests.output) == len(methods), django_tests.stderr[-3000:]


# --dry-run and the real run
def test_nothing_blocks_once_the_cycle_is_broken(migrated):
    assert migrated["validate"].code == 0, migrated["validate"]
    assert "Nothing blocks the migration." in migrated["validate"].stdout


def test_the_dry_run_prints_the_plan_in_dependency_order_and_writes_nothing(migrated):
    run = migrated["dry_run"]
    assert run.code == 0, run
    out = run.stdout
    assert "Plan: 5 module(s), in dependency order" in out
    assert out.index("== pricing -> module 'pricing'") < out.index("== inventory -> module 'inventory'")
    assert out.index("== shop -> module 'shop'") < out.index("== notes -> module 'notes'")
    assert out.index("== inventory -> module 'inventory'") < out.index("== shop -> module 'shop'")
    assert out.index("== inventory -> module 'inventory'") < out.index("== blog -> module 'blog'")
    assert "ShopModule in shop/module.py (dependencies: inventory>=1.0)" in out
    assert "container ShopContainer: shop_service = providers.Factory(ShopService)" in out
    assert "ShopService in shop/shop_service.py" in out
    assert "file      shop/test_shop_service.py (new)" in out  # no tests package: next to the app's code
    assert "InventoryModule in inventory/module.py (dependencies: pricing>=1.0)" in out
    assert "PricingModule in pricing/module.py (dependencies: none)" in out
    assert "file      pricing/test_pricing_module.py (new)" in out
    assert "  --- shop/shop_service.py ---\n  | " in out  # the code it would write
    assert "class ShopService" in out
    assert f"  MODKIT_MODULES = [{', '.join(json.dumps(c) for c in CLASSES)}]" in out
    assert "Nothing was written (dry run)." in out
    assert migrated["dry_run_changes"] == ([], [], [])


def test_the_dry_run_lists_the_view_changes(migrated):
    out = migrated["dry_run"].stdout
    for line, view in ((13, "order_list"), (19, "order_detail"), (28, "place_order"), (46, "delete_order")):
        assert re.search(rf"^  - shop/views\.py:{line} {view} -> shop_service\.\w+\(\)$", out, re.M), view
    assert "      -     order.delete()" in out  # before and after, line by line
    assert re.search(r"^      \+     shop_service\.\w+\(order=order\)$", out, re.M)
    assert 'Provide["shop.shop_service"]' in out


def test_the_json_plan_names_every_method_and_file(migrated):
    document = migrated["dry_run_json"].json
    plan = {app["app"]: app for app in document["plan"]["apps"]}
    assert list(plan) == list(LEGACY_APPS)
    shop = plan["shop"]
    assert shop["module_class"] == "shop.module.ShopModule" and shop["enable"] == "shop.module.ShopModule"
    assert shop["service"] == "shop.shop_service.ShopService" and shop["container"] == "ShopContainer"
    assert shop["wire"] == ["shop.views"]
    assert shop["urls"] is None and shop["url_prefix"] is None  # the project's URLconf mounts them already
    assert shop["dependencies"] == ["inventory>=1.0"]
    names = [m["name"] for m in shop["methods"]]
    assert names and len(names) == len(set(names)) and all(n.isidentifier() for n in names)
    # every direct model use of the shop's views is moved into some method
    moved = {origin for m in shop["methods"] for origin in re.findall(r"shop/views\.py:\d+", str(m["from"]))}
    assert {f"shop/views.py:{n}" for n in (13, 19, 26, 27, 28, 29, 45, 46)} <= moved, shop["methods"]
    assert [(f["kind"], f["path"]) for f in shop["files"]] == [
        ("module", "shop/module.py"),
        ("service", "shop/shop_service.py"),
        ("test", "shop/test_shop_service.py"),
    ]
    assert [(f["kind"], f["path"]) for f in plan["pricing"]["files"]] == [
        ("module", "pricing/module.py"),
        ("test", "pricing/test_pricing_module.py"),
    ]
    assert plan["pricing"]["service"] is None
    assert document["plan"]["settings"]["modules"] == CLASSES
    assert document["plan"]["settings"]["lines"] == [f"MODKIT_MODULES = [{', '.join(json.dumps(c) for c in CLASSES)}]"]


def test_every_generated_service_method_is_tested(migrated):
    plan = migrated["dry_run_json"].json["plan"]["apps"]
    assert {app["app"]: app["untested_methods"] for app in plan} == dict.fromkeys(LEGACY_APPS, [])


def test_the_run_writes_only_new_files_inside_the_apps(migrated):
    run = migrated["run"]
    assert run.code == 0, run
    created, changed, removed = migrated["changes"]
    assert created == _planned(migrated["project"])
    assert created == [
        "blog/blog_service.py",
        "blog/module.py",
        "blog/test_blog_service.py",
        "inventory/inventory_service.py",
        "inventory/module.py",
        "inventory/test_inventory_service.py",
        "notes/module.py",
        "notes/notes_service.py",
        "notes/test_notes_service.py",
        "pricing/module.py",  # no models, no views: a module without a container
        "pricing/test_pricing_module.py",
        "shop/module.py",
        "shop/shop_service.py",
        "shop/test_shop_service.py",
    ]
    assert changed == [] and removed == []
    found = steps(run.stdout)
    assert found and all(found.values()), run
    assert any(name.startswith("every page answers as before") for name in found)
    assert enabled_entries(migrated["line"]) == CLASSES


def test_generated_code_follows_the_conventions(migrated):
    files = migrated["files"]
    for path in migrated["changes"][0]:
        ast.parse(files[path], filename=path)
    service = files["shop/shop_service.py"]
    assert "class ShopService" in service
    assert "dependency_injector" not in service and "modkit" not in service  # a plain class
    assert "ObjectDoesNotExist" in service  # the 404 shortcuts become the layout's not-found error
    module = files["shop/module.py"]
    assert "class ShopContainer(containers.DeclarativeContainer):" in module
    assert "    shop_service = providers.Factory(ShopService)" in module
    assert "class ShopModule(BaseModule):" in module
    assert 'dependencies=["inventory>=1.0"]' in module
    assert 'wire = ("shop.views",)' in module and "urls =" not in module
    notes = files["notes/module.py"]
    assert '"notes.Note"' in notes and "urls =" not in notes and "wire =" not in notes
    # An app whose views never touch its models still gets a read per model.
    assert "class NotesService" in files["notes/notes_service.py"]
    assert "def " in files["notes/notes_service.py"]
    assert "container_class" not in files["pricing/module.py"]


def test_the_services_do_what_their_docstrings_promise(migrated):
    for app in SERVICES:
        service = migrated["files"][f"{app}/{app}_service.py"]
        if "writes run in one transaction the service owns" in service and re.search(r"\.(save|delete)\(", service):
            assert "transaction.atomic()" in service, f"{app}/{app}_service.py: its writes are not in a transaction"


def test_every_generated_file_carries_the_mark_a_later_run_recognises(migrated):
    """A later run replaces only the files an earlier run wrote; it knows them by this mark (in their
    first 400 characters), and refuses to touch a file without it."""
    files = migrated["files"]
    unmarked = [p for p in migrated["changes"][0] if "written by migrate_to_modules" not in files[p][:400]]
    assert migrated["changes"][0] and unmarked == []


def test_a_second_run_changes_nothing(migrated):
    run = migrated["second_run"]
    assert run.code == 0, run
    assert run.json["plan"]["apps"] == []
    assert run.json["plan"]["already_modules"] == list(LEGACY_APPS)
    assert {app["label"]: app["module"]["class"] for app in run.json["apps"]} == dict(
        zip(LEGACY_APPS, CLASSES, strict=True)
    )
    text = migrated["second_run_text"]
    assert text.code == 0, text
    assert f"Already modules, nothing to do: {', '.join(LEGACY_APPS)}" in text.stdout
    assert "Verified in a staged copy" not in text.stdout
    assert migrated["second_run_changes"] == ([], [], [])


def test_the_generated_tests_run_and_pass(migrated):
    assert len(migrated["generated_tests"]) == 5
    run = migrated["pytest"]
    assert run.code == 0, run
    assert " passed" in run.stdout and "FAILED" not in run.stdout and "SKIPPED" not in run.stdout
    for path in migrated["generated_tests"]:
        assert f"{path}::" in run.stdout and "PASSED" in run.stdout, path
    # Django's test runner runs them too (the apps have no tests of their own).
    django_tests = migrated["django_tests"]
    assert django_tests.code == 0, django_tests
    generated = {path: unittest_methods(migrated["files"][path]) for path in migrated["generated_tests"]}
    assert all(generated.values()), f"generated test files without TestCase tests: {generated}"
    assert ran_count(django_tests.output) == sum(len(m) for m in generated.values()), django_tests.stderr[-3000:]


def test_the_generated_modules_run_in_modkits_runtime(migrated):
    assert migrated["line"] is not None, migrated["run"]
    run = migrated["runtime"]
    assert run.code == 0, run
    found = json.loads(next(line for line in reversed(run.stdout.splitlines()) if line.startswith("{")))
    assert found["states"] == dict.fromkeys(LEGACY_APPS, "ready")
    assert found["services"] == {f"{app}_service": f"{app}.{app}_service.{app.capitalize()}Service" for app in SERVICES}
    assert found["from_the_container"] == "ShopService"
    assert found["health"] == "UP"
    assert found["health_page"] == [200, "UP", sorted(LEGACY_APPS)]
    assert found["orders_page"] == [200, True]  # the project's own page, served with the modules on
    assert found["reload_service"] is True and found["reload_module"] is True
    assert found["after_reloads"] == {"shop_service": "ShopService", "blog_service": "BlogService", "blog": "ready"}
    health = migrated["health"]
    assert health.code == 0, health
    assert "System: UP" in health.stdout


def test_once_enabled_the_modules_are_reported_enabled(migrated):
    run = migrated["enabled_validate"]
    assert run.code == 0, run
    modules = {app["label"]: app["module"] for app in run.json["apps"]}
    assert {label: (m["class"], m["enabled"]) for label, m in modules.items()} == {
        app: (cls, True) for app, cls in zip(LEGACY_APPS, CLASSES, strict=True)
    }


def test_a_module_that_omits_a_dependency_its_app_has_is_warned_about(migrated):
    run = migrated["undeclared"]
    assert run.code == 0, run  # a warning, not a blocker
    (shop,) = run.json["apps"]
    assert shop["undeclared_dependencies"] == [
        "module shop does not declare 'inventory' among its dependencies, yet its app needs "
        "inventory (relation: shop.OrderLine.product -> inventory.Product (ForeignKey) "
        "(shop/models.py:25))"
    ]


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A model changed without its migration, and a view module that no longer imports."""
    project = LegacyProject(tmp_path_factory.mktemp("legacy-broken") / "project")
    project.break_the_cycle()
    assert project.manage("migrate", "-v0").code == 0
    models = project.root / "blog" / "models.py"
    models.write_text(
        models.read_text()
        + "\n\nclass Comment(models.Model):\n    post = models.ForeignKey(Post, on_delete=models.CASCADE)\n"
    )
    views = project.root / "shop" / "views.py"
    views.write_text(
        views.read_text().replace("from .models import Customer, Order", "from .models import Customer, Order, Refund")
    )
    before = project.files()
    found = {
        "validate": project.manage(CMD, "--validate-only", "--json"),
        "dry_run": project.manage(CMD, "--dry-run"),
        "dry_run_json": project.manage(CMD, "--dry-run", "--json"),
        "run": project.manage(CMD),
    }
    found["changes"] = changes(before, project.files())
    return found


def test_missing_migrations_and_import_errors_block(broken):
    run = broken["validate"]
    assert run.code == 1, run
    apps = {app["label"]: app for app in run.json["apps"]}
    assert apps["blog"]["migrations"]["missing"] == ["Create model Comment"]
    assert any("makemigrations blog would write: Create model Comment" in b for b in apps["blog"]["blockers"])
    errors = {e["module"]: e for e in apps["shop"]["imports"]["errors"]}
    assert sorted(errors) == ["shop.urls", "shop.views"]  # urls fails through the views it imports
    assert (errors["shop.views"]["file"], errors["shop.views"]["line"]) == ("shop/views.py", 8)
    assert (errors["shop.urls"]["file"], errors["shop.urls"]["line"]) == ("shop/urls.py", 3)
    assert "ImportError: cannot import name 'Refund'" in errors["shop.views"]["error"]
    assert apps["inventory"]["ok"] is True


def test_a_broken_app_gets_its_errors_and_no_plan(broken):
    dry_run = broken["dry_run"]
    assert dry_run.code == 1, dry_run
    assert "shop.views does not import: ImportError: cannot import name 'Refund'" in dry_run.stdout
    assert "makemigrations blog would write: Create model Comment" in dry_run.stdout
    assert "Plan:" not in dry_run.stdout and "== shop -> module" not in dry_run.stdout
    assert "plan" not in broken["dry_run_json"].json and broken["dry_run_json"].code == 1
    run = broken["run"]
    assert run.code == 1 and "Plan:" not in run.stdout and "Verified in a staged copy" not in run.stdout, run
    assert broken["changes"] == ([], [], [])
