"""``migrate_to_modules`` on a legacy project (``tests/fixtures/legacy_project``), in subprocesses.

The project has five plain apps: inventory, shop and blog with views that use the ORM directly,
notes (models, no views) and pricing (code, no models); and one dependency cycle (inventory's
views import shop's models; shop's models point at inventory's). Each scenario works on its own
copy with its own SQLite database.
"""

import pytest

from tests.support.legacy import LegacyProject

pytestmark = pytest.mark.slow

CMD = "migrate_to_modules"


@pytest.fixture(scope="module")
def blocked(tmp_path_factory):
    """The project as it is: validated before and after ``migrate``, then asked to migrate."""
    project = LegacyProject(tmp_path_factory.mktemp("legacy-blocked") / "project")
    found = {"unmigrated": project.manage(CMD, "--validate-only", "--json")}
    assert project.manage("migrate", "-v0").code == 0
    found["validate"] = project.manage(CMD, "--validate-only", "--json")
    found["validate_text"] = project.manage(CMD, "--validate-only")
    before = project.snapshot()
    found["dry_run"] = project.manage(CMD, "--dry-run")
    found["run"] = project.manage(CMD)
    found["unchanged"] = project.snapshot() == before
    found["unknown_app"] = project.manage(CMD, "--validate-only", "--apps", "warehouse")
    found["django_app"] = project.manage(CMD, "--validate-only", "--apps", "auth")
    found["blog_only"] = project.manage(CMD, "--apps", "blog", "--json")
    found["files_after_blog_only"] = sorted(set(project.snapshot()) - set(before))
    found["blog_tests"] = project.pytest("tests")
    return found


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """The same project once the cycle is broken: dry run, run, run again, generated tests, runtime."""
    project = LegacyProject(tmp_path_factory.mktemp("legacy-migrated") / "project")
    project.break_the_cycle()
    assert project.manage("migrate", "-v0").code == 0
    found = {"validate": project.manage(CMD, "--validate-only")}
    before = project.snapshot()
    found["dry_run"] = project.manage(CMD, "--dry-run")
    found["dry_run_json"] = project.manage(CMD, "--dry-run", "--json")
    found["dry_run_changed_nothing"] = project.snapshot() == before
    found["run"] = project.manage(CMD)
    after = project.snapshot()
    found["created"] = sorted(set(after) - set(before))
    found["edited"] = sorted(p for p in before if after.get(p) != before[p])
    found["files"] = after
    found["second_run"] = project.manage(CMD, "--json")
    found["changed_by_second_run"] = project.snapshot() != after
    found["generated_tests"] = project.pytest("tests", "-vv")
    shop_module = project.root / "modules" / "shop.py"
    declared = shop_module.read_text()
    shop_module.write_text(declared.replace('dependencies=["inventory>=1.0"]', "dependencies=[]"))
    found["undeclared"] = project.manage(CMD, "--validate-only", "--json", "--apps", "shop")
    shop_module.write_text(declared)
    modules = ",".join(found["dry_run_json"].json["plan"]["settings"]["modules"])
    found["modules_setting"] = modules
    found["runtime"] = project.manage(
        "shell",
        "-c",
        RUNTIME_CHECK,
        env={"DJANGO_SETTINGS_MODULE": "legacy.settings_modular", "LEGACY_MODULES": modules},
    )
    return found


RUNTIME_CHECK = """
import json
from django.contrib.auth import get_user_model
from containers import runtime
runtime.ensure_started()
from containers import blog_service, shop_service
user = get_user_model().objects.create_user("dana", password="x" * 12)
from shop.models import Customer
Customer.objects.create(user=user)
customer = shop_service().get_customer(user=user)
order = shop_service().create_order(customer=customer, note="first")
print(json.dumps({
    "states": runtime.modules.states(),
    "services": sorted(runtime.services._entries),
    "orders": [o.note for o in shop_service().list_orders(user=user)],
    "posts": blog_service().count_posts(),
    "health": runtime.health()["status"],
    "reload_service": runtime.reload_service("shop_service").ok,
    "reload_module": runtime.reload_module("blog").ok,
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
    for label in ("inventory", "shop", "blog"):
        assert apps[label]["imports"]["ok"] is True
        assert apps[label]["migrations"]["applied"] == ["0001_initial"]
        assert apps[label]["migrations"]["missing"] == []
        assert apps[label]["module"] is None


def test_every_direct_model_use_in_views_is_listed_with_file_and_line(blocked):
    apps = {app["label"]: app for app in blocked["validate"].json["apps"]}
    uses = {(u["file"], u["line"], u["view"], u["operation"]) for u in apps["shop"]["orm_uses"]}
    assert uses == {
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
    }
    blog = {(u["line"], u["view"], u["operation"], u["model"]) for u in apps["blog"]["orm_uses"]}
    assert (12, "PostListView", "list", "blog.Post") in blog  # a class attribute queryset
    assert (37, "post_edit", "form_update", "blog.Post") in blog  # a ModelForm's save()
    assert (47, "tag_post", "related_add", "blog.Post") in blog


def test_direct_orm_use_is_work_not_a_blocker(blocked):
    apps = {app["label"]: app for app in blocked["validate"].json["apps"]}
    assert apps["blog"]["orm_uses"] and apps["blog"]["ok"] is True


def test_a_blocked_plan_changes_nothing(blocked):
    assert blocked["dry_run"].code == 1
    assert "Plan: 5 module(s)" in blocked["dry_run"].stdout
    assert blocked["run"].code == 1
    assert "Nothing was written" in blocked["run"].stdout
    assert blocked["unchanged"] is True


def test_bad_app_names_are_refused_clearly(blocked):
    assert blocked["unknown_app"].code == 2
    assert "no installed app is labelled 'warehouse'" in blocked["unknown_app"].stderr
    assert blocked["django_app"].code == 2
    assert "auth is installed but is not one of the project's own apps" in blocked["django_app"].stderr


def test_an_app_outside_the_cycle_can_be_migrated_alone(blocked):
    run = blocked["blog_only"]
    assert run.code == 0, run
    assert blocked["files_after_blog_only"] == [
        "modules/blog.py",
        "services/blog_service.py",
        "tests/test_blog_service.py",
    ]
    plan = run.json["plan"]["apps"][0]
    # inventory has no module yet: the dependency is noted, not declared (the registry would refuse it)
    assert plan["dependencies"] == []
    assert any("depends on inventory, which has no module" in note for note in plan["notes"])
    assert blocked["blog_tests"].code == 0, blocked["blog_tests"]


# --dry-run and the real run
def test_nothing_blocks_once_the_cycle_is_broken(migrated):
    assert migrated["validate"].code == 0, migrated["validate"]
    assert "Nothing blocks the migration." in migrated["validate"].stdout


def test_the_dry_run_prints_the_plan_in_dependency_order_and_writes_nothing(migrated):
    run = migrated["dry_run"]
    assert run.code == 0, run
    out = run.stdout
    assert out.index("== pricing -> module 'pricing'") < out.index("== inventory -> module 'inventory'")
    assert out.index("== shop -> module 'shop'") < out.index("== notes -> module 'notes'")
    assert out.index("== inventory -> module 'inventory'") < out.index("== shop -> module 'shop'")
    assert out.index("== inventory -> module 'inventory'") < out.index("== blog -> module 'blog'")
    assert "ShopModule in modules/shop.py (dependencies: inventory>=1.0)" in out
    assert "container ShopContainer: shop_service = providers.Factory(ShopService)" in out
    assert "file      tests/test_shop_service.py (new)" in out
    assert "    def list_orders(self, *, user) -> QuerySet[Order]:" in out
    assert '        return Order.objects.filter(customer__user=user).order_by("-created")' in out
    assert '  MARKETPLACE = {"modules": ["pricing", "inventory", "shop", "blog", "notes"]}' in out
    assert "or in the environment: MARKETPLACE_MODULES=pricing,inventory,shop,blog,notes" in out
    assert "InventoryModule in modules/inventory.py (dependencies: pricing>=1.0)" in out
    assert "PricingModule in modules/pricing.py (dependencies: none)" in out
    assert migrated["dry_run_changed_nothing"] is True


def test_the_dry_run_lists_the_view_changes(migrated):
    out = migrated["dry_run"].stdout
    assert "- shop/views.py:37 cancel_order -> shop_service.update_order()" in out
    assert "      -     order.status = Order.CANCELLED\n      -     order.save()\n" in out
    assert "      +     order = shop_service.update_order(order=order)" in out
    assert (
        "      +         order = shop_service.get_order(pk=pk, user=request.user)\n"
        "      +     except NotFound:\n      +         raise Http404 from None" in out
    )
    assert 'Provide["shop.shop_service"]' in out


def test_the_json_plan_names_every_method_and_file(migrated):
    plan = {app["app"]: app for app in migrated["dry_run_json"].json["plan"]["apps"]}
    assert [m["name"] for m in plan["shop"]["methods"]] == [
        "list_orders",
        "get_order",
        "get_customer",
        "get_product",
        "create_order",
        "create_order_line",
        "update_order",
        "delete_order",
    ]
    assert plan["shop"]["module_class"] == "modules.shop.ShopModule"
    assert plan["shop"]["wire"] == ["shop.views"] and plan["shop"]["url_prefix"] == "shop/"
    assert plan["blog"]["untested_methods"] == []


def test_the_run_creates_only_new_files(migrated):
    assert migrated["run"].code == 0, migrated["run"]
    assert migrated["created"] == [
        "modules/blog.py",
        "modules/inventory.py",
        "modules/notes.py",
        "modules/pricing.py",  # no models, no views: a module without a container
        "modules/shop.py",
        "services/blog_service.py",
        "services/inventory_service.py",
        "services/notes_service.py",
        "services/shop_service.py",
        "tests/test_blog_service.py",
        "tests/test_inventory_service.py",
        "tests/test_notes_service.py",
        "tests/test_pricing_module.py",
        "tests/test_shop_service.py",
    ]
    assert migrated["edited"] == []
    out = migrated["run"].stdout
    assert "[3/5] shop: wrote modules/shop.py, services/shop_service.py, tests/test_shop_service.py" in out
    assert "[1/5] pricing: wrote modules/pricing.py, tests/test_pricing_module.py" in out
    assert "Loaded and validated with the module registry: pricing, inventory, shop, blog, notes" in out


def test_generated_code_follows_the_project_conventions(migrated):
    files = migrated["files"]
    service = files["services/shop_service.py"]
    assert "dependency_injector" not in service and "containers" not in service
    assert "    def create_order(self, *, customer: Customer, note: str) -> Order:" in service
    assert (
        "        with transaction.atomic():\n            return Order.objects.create(customer=customer, note=note)"
        in service
    )
    assert '            raise NotFound("No order matches the given query.") from None' in service
    # The view's parsing stays in the view; the service gets the parsed value.
    assert "def create_order_line(self, *, order: Order, product: Product, quantity: int) -> OrderLine:" in service
    assert "return order.lines.create(product=product, quantity=quantity)" in service
    module = files["modules/shop.py"]
    assert "class ShopContainer(containers.DeclarativeContainer):" in module
    assert 'dependencies=["inventory>=1.0"]' in module
    assert 'urls = "shop.urls"' in module and 'wire = ("shop.views",)' in module
    blog = files["services/blog_service.py"]
    assert "    def create_post(self, *, post: Post, user) -> Post:" in blog  # form.save(commit=False) + save()
    assert '        tags = fields.pop("tags", None)' in blog  # the ModelForm's many-to-many field
    # An app whose views never touch its models still gets reads, and the module checks its tables.
    assert "    def get_note(self, *, pk: int) -> Note:" in files["services/notes_service.py"]
    notes = files["modules/notes.py"]
    assert 'MODELS = ("notes.Note",)' in notes and "urls =" not in notes and "wire =" not in notes
    assert "container_class" not in files["modules/pricing.py"]


def test_a_second_run_changes_nothing(migrated):
    run = migrated["second_run"]
    assert run.code == 0, run
    assert run.json["plan"]["apps"] == []
    assert {app["label"]: app["module"]["class"] for app in run.json["apps"]} == {
        "pricing": "modules.pricing.PricingModule",
        "inventory": "modules.inventory.InventoryModule",
        "shop": "modules.shop.ShopModule",
        "blog": "modules.blog.BlogModule",
        "notes": "modules.notes.NotesModule",
    }
    assert migrated["changed_by_second_run"] is False


def test_the_generated_tests_run_and_pass(migrated):
    run = migrated["generated_tests"]
    assert run.code == 0, run
    assert " passed" in run.stdout and "failed" not in run.stdout and "skipped" not in run.stdout
    for name in (
        "test_get_order",
        "test_update_order",
        "test_update_product",
        "test_add_post_tag",
        "test_update_post",
        "test_get_note",
        "test_the_module_passes_the_registry_validation",
        "test_the_module_starts_and_is_healthy",
    ):
        assert f"::{name} PASSED" in run.stdout


def test_the_generated_modules_run_in_the_modular_runtime(migrated):
    run = migrated["runtime"]
    assert run.code == 0, run
    report = next(line for line in run.stdout.splitlines() if line.startswith("{"))
    import json

    found = json.loads(report)
    assert found["states"] == {
        "pricing": "ready",
        "inventory": "ready",
        "shop": "ready",
        "blog": "ready",
        "notes": "ready",
    }
    assert found["services"] == [
        "blog_service",
        "inventory_service",
        "notes_service",
        "shop_service",
    ]
    assert found["orders"] == ["first"] and found["posts"] == 0
    assert found["health"] == "UP"
    assert found["reload_service"] is True and found["reload_module"] is True


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
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    return {
        "validate": project.manage(CMD, "--validate-only", "--json"),
        "target": project.manage(CMD, "--dry-run", "--apps", "inventory", "--target", str(elsewhere)),
        "elsewhere": elsewhere,
    }


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


def test_target_moves_where_files_go(broken):
    run = broken["target"]
    assert run.code == 0, run
    where = broken["elsewhere"]
    assert f"file      {where}/modules/inventory.py (new)" in run.stdout
    assert f"file      {where}/services/inventory_service.py (new)" in run.stdout
    assert f"warning: {where} is not on sys.path: modules written there will not import" in run.stdout
    assert list(where.iterdir()) == []


def test_a_module_that_omits_a_dependency_its_app_has_is_warned_about(migrated):
    run = migrated["undeclared"]
    assert run.code == 0, run  # a warning, not a blocker
    (shop,) = run.json["apps"]
    assert shop["undeclared_dependencies"] == [
        "module shop does not declare 'inventory' among its dependencies, yet its app needs "
        "inventory (relation: shop.OrderLine.product -> inventory.Product (ForeignKey) "
        "(shop/models.py:25))"
    ]
