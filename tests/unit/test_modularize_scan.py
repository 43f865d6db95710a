"""Reading views with ``ast``: what counts as direct model use, and how it is lifted into a service."""

import ast
import textwrap

import pytest
from modkit.modularize.lifting import Lifter, ParamSet
from modkit.modularize.naming import Imports, double_quoted, plural, singular, snake
from modkit.modularize.orm_scan import (
    FormRef,
    ModelRef,
    ViewScanner,
    chain_operation,
    function_locals,
)
from modkit.modularize.source import imports, owner, resolve_relative

ORDER = ModelRef(
    "shop.Order",
    "Order",
    "shop.models",
    managers=("objects", "open_orders"),
    related={"lines": "shop.OrderLine"},
)
LINE = ModelRef("shop.OrderLine", "OrderLine", "shop.models")
USER = ModelRef("accounts.User", "User", "accounts.models")
POST_FORM = FormRef("PostForm", "shop.forms", ORDER, fields=("note", "tags"), many_to_many=("tags",))


class Resolver:
    models = {"shop.models.Order": ORDER, "shop.models.OrderLine": LINE}

    def model(self, dotted):
        return self.models.get(dotted)

    def form(self, dotted):
        return POST_FORM if dotted == "shop.forms.PostForm" else None

    def user_model(self):
        return USER

    def by_label(self, label):
        return {"shop.OrderLine": LINE, "shop.Order": ORDER}.get(label)


def scan(source: str, module: str = "shop.views"):
    text = textwrap.dedent(source)
    scanner = ViewScanner(
        resolver=Resolver(),
        text=text,
        tree=ast.parse(text),
        module_name=module,
        is_package=False,
        file="shop/views.py",
    )
    return scanner.scan()


def found(source: str) -> list[tuple]:
    return [(u.line, u.view, u.operation, u.model.label if u.model else None) for u in scan(source)]


def test_manager_chains_are_found_with_their_operation():
    uses = found("""
        from .models import Order
        def index(request):
            a = Order.objects.filter(status="open").order_by("-id")
            b = Order.objects.filter(status="open").count()
            c = Order.objects.get(pk=1)
            Order.objects.filter(pk=2).update(status="x")
            d = Order.open_orders.first()
            e = Order.objects.all()[0]
            f = Order.objects.values_list("id", flat=True)
    """)
    assert [u[2] for u in uses] == ["list", "count", "get", "update", "first", "first", "values"]
    assert all(u[3] == "shop.Order" for u in uses)


def test_a_subquery_is_part_of_the_use_not_a_second_one():
    uses = scan("""
        from shop.models import Order, OrderLine
        def index(request):
            return OrderLine.objects.filter(order__in=Order.objects.filter(status="open"))
    """)
    assert len(uses) == 1 and uses[0].model == LINE


def test_shortcuts_and_their_querysets():
    uses = found("""
        from django.shortcuts import get_object_or_404, get_list_or_404
        from shop.models import Order
        def detail(request, pk):
            order = get_object_or_404(Order, pk=pk)
            rows = get_list_or_404(Order.objects.filter(status="open"))
    """)
    assert uses == [
        (5, "detail", "get_or_404", "shop.Order"),
        (6, "detail", "list_or_404", "shop.Order"),
    ]


def test_save_and_delete_only_on_variables_known_to_hold_instances():
    uses = found("""
        from shop.models import Order
        def edit(request, pk):
            order = Order.objects.get(pk=pk)
            order.save()
            request.session.save()
            thing = make_thing()
            thing.save()
            for line in Order.objects.filter(status="open"):
                line.delete()
            fresh = Order(note="x")
            fresh.save()
    """)
    assert [(u[0], u[2]) for u in uses] == [
        (4, "get"),
        (5, "save"),
        (9, "list"),
        (10, "delete"),
        (12, "save"),
    ]


def test_attribute_assignments_travel_with_the_save_and_new_instances_are_creations():
    uses = scan("""
        from shop.models import Order
        def cancel(request, pk):
            order = Order.objects.get(pk=pk)
            order.status = Order.CANCELLED
            order.total += 1
            order.save()
            fresh = Order(note="x")
            fresh.save()
    """)
    save = uses[1]
    assert [ast.unparse(s) for s in save.moved] == [
        "order.status = Order.CANCELLED",
        "order.total += 1",
    ]
    assert save.first_line == 5 and save.new_instance is False
    assert uses[2].new_instance is True


def test_model_forms_and_related_managers():
    uses = scan("""
        from shop.forms import PostForm
        from shop.models import Order
        def edit(request, pk):
            order = Order.objects.get(pk=pk)
            form = PostForm(request.POST, instance=order)
            form.save()
            draft = PostForm(request.POST).save(commit=False)
            other = PostForm(request.POST)
            created = other.save(commit=False)
            created.save()
            order.lines.create(quantity=1)
            order.notes_cache.add(1)
    """)
    ops = [(u.operation, u.via) for u in uses]
    assert ops == [
        ("get", "manager"),
        ("form_update", "form"),
        ("save", "instance"),
        ("related_create", "related"),
    ]
    assert uses[1].form is POST_FORM and ast.unparse(uses[1].form_instance) == "order"
    assert uses[2].new_instance is True  # form.save(commit=False) then save()
    assert uses[3].related_model == LINE and uses[3].related_attr == "lines"


def test_related_reads_and_writes_after_a_save_on_the_same_instance():
    uses = scan("""
        from shop.models import Order
        def edit(request, pk):
            order = Order.objects.get(pk=pk)
            line = order.lines.get(pk=request.POST["line"])
            count = order.lines.filter(quantity__gt=1).count()
            line.delete()
    """)
    ops = [(u.operation, u.via, u.model.name) for u in uses]
    assert ops == [
        ("get", "manager", "Order"),
        ("get", "related", "OrderLine"),  # the related model: ``line`` holds an OrderLine
        ("count", "related", "OrderLine"),
        ("delete", "instance", "OrderLine"),
    ]
    assert (uses[1].receiver, uses[1].related_attr) == ("order", "lines")
    save = scan("""
        from shop.forms import PostForm
        def edit(request):
            form = PostForm(request.POST)
            post = form.save(commit=False)
            post.note = "x"
            post.save()
            form.save_m2m()
            post.lines.add(1)
            log(post)
    """)[0]
    assert save.operation == "save" and save.new_instance and save.form is POST_FORM
    assert [ast.unparse(s) for s in save.then] == ["form.save_m2m()", "post.lines.add(1)"]  # not log(post)
    assert save.writes == 3 and save.last_line == 9


def test_class_attributes_and_get_user_model():
    uses = found("""
        from django.contrib.auth import get_user_model
        from shop.models import Order
        User = get_user_model()
        class OrderList(ListView):
            queryset = Order.objects.filter(status="open")
            def get_context_data(self, **kwargs):
                return {"users": User.objects.count()}
    """)
    assert uses == [
        (6, "OrderList", "list", "shop.Order"),
        (8, "OrderList.get_context_data", "count", "accounts.User"),
    ]


def test_dotted_and_relative_imports_resolve_to_the_model():
    uses = found("""
        import shop.models
        from . import models
        def index(request):
            a = shop.models.Order.objects.all()
            b = models.OrderLine.objects.all()
    """)
    assert [u[3] for u in uses] == ["shop.Order", "shop.OrderLine"]


def test_chain_operation_prefers_writes_then_the_terminal_read():
    assert chain_operation(["filter", "update"]) == "update"
    assert chain_operation(["select_for_update", "get"]) == "get"
    assert chain_operation(["filter", "exists"]) == "exists"
    assert chain_operation(["values", "filter"]) == "values"
    assert chain_operation(["filter"], indexed=True) == "first"
    assert chain_operation([]) == "list"


def lift(source: str, *, instances=None) -> tuple[str, list[tuple[str, str]]]:
    function = ast.parse(textwrap.dedent(source)).body[-1]
    expr = function.body[-1].value
    params = ParamSet({"Order"})
    lifter = Lifter(
        kept={"Order", "timezone", "Q"},
        function_locals=function_locals(function),
        instances=instances or {},
        params=params,
        text=textwrap.dedent(source),
    )
    moved = lifter.lift(expr)
    return ast.unparse(moved), [(p.name, p.source) for p in params]


def test_what_the_view_knew_becomes_keyword_parameters():
    code, params = lift("""
        def view(request, pk):
            return Order.objects.filter(pk=pk, buyer=request.user, note=request.POST["note"], q=request.GET.get("q", ""))
    """)
    assert code == "Order.objects.filter(pk=pk, buyer=buyer, note=note, q=q)"
    assert params == [
        ("pk", "pk"),
        ("buyer", "request.user"),  # named after the field it is compared with
        ("note", 'request.POST["note"]'),
        ("q", 'request.GET.get("q", "")'),
    ]


def test_imports_builtins_and_comprehension_names_stay():
    code, params = lift("""
        def view(request):
            return Order.objects.filter(created__lte=timezone.now(), pk__in=[int(x) for x in request.GET.getlist("id")], n=len(request.GET))
    """)
    assert code == (
        "Order.objects.filter(created__lte=timezone.now(), pk__in=[int(x) for x in query.getlist('id')], n=len(query))"
    )
    assert params == [("query", "request.GET")]


def test_parsing_stays_in_the_view_and_instances_pass_whole():
    code, params = lift(
        """
        def view(request, order):
            return order.lines.create(quantity=int(request.POST["quantity"]), price=order.total)
    """,
        instances={"order": ORDER},
    )
    assert code == "order.lines.create(quantity=quantity, price=order.total)"
    assert params == [("order", "order"), ("quantity", 'int(request.POST["quantity"])')]


def test_parameter_names_never_clash():
    code, params = lift("""
        def view(request, pk):
            return Order.objects.filter(a=request.user.pk, b=self_user.pk, c=request.POST["Order"])
    """)
    names = [name for name, _source in params]
    assert len(names) == len(set(names)) and "Order" not in names
    assert names[0] == "a"  # ``a=request.user.pk``: named after the field


@pytest.mark.parametrize(
    "word,many",
    [
        ("order", "orders"),
        ("category", "categories"),
        ("box", "boxes"),
        ("order_line", "order_lines"),
        ("status", "statuses"),
    ],
)
def test_plural_and_singular(word, many):
    assert plural(word) == many
    assert singular(many) == word


def test_snake_case_and_quotes():
    assert snake("OrderLine") == "order_line" and snake("HTTPRequestLog") == "http_request_log"
    assert double_quoted("x = f('a', b='c\"d', e='''z''')") == "x = f(\"a\", b='c\"d', e='''z''')"


def test_imports_are_grouped_and_clashes_aliased():
    imports = Imports(local_packages={"shop", "services"})
    assert imports.use("shop.models", "Order") == "Order"
    assert imports.use("blog.models", "Order") == "BlogOrder"
    imports.use("decimal", "Decimal")
    imports.use("django.db", "transaction")
    imports.use("services.errors", "NotFound")
    assert imports.lines() == [
        "from decimal import Decimal",
        "",
        "from blog.models import Order as BlogOrder",
        "from django.db import transaction",
        "",
        "from services.errors import NotFound",
        "from shop.models import Order",
    ]


def test_imports_of_a_file_resolve_relative_names():
    tree = ast.parse("from .models import Order\nfrom ..core import utils\nimport a.b as c\n")
    found = {(i.local, i.target) for i in imports(tree, "shop.views.orders", False)}
    assert found == {
        ("Order", "shop.views.models.Order"),
        ("utils", "shop.core.utils"),
        ("c", "a.b"),
    }
    assert resolve_relative("shop.views", True, 1, "forms") == "shop.views.forms"
    assert (
        owner(
            "shop.models.Order",
            {"shop": "shop", "marketplace": "marketplace", "marketplace.accounts": "accounts"},
        )
        == "shop"
    )
    assert (
        owner(
            "marketplace.accounts.models",
            {"marketplace": "marketplace", "marketplace.accounts": "accounts"},
        )
        == "accounts"
    )


def test_each_import_keeps_its_statement_as_written():
    text = (
        "x = 1\x0c\n"
        "import os\r\n"
        "def view():\n"
        "    from ..core import (\n"
        "        utils,  # déjà\n"
        "        more)\n"
        "    return é + 1 if False else 2; import a.b as c\n"
    )
    statements = {i.local: i.statement for i in imports(ast.parse(text), "shop.views.orders", False, text)}
    assert statements == {
        "os": "import os",
        "utils": "from ..core import (\n        utils,  # déjà\n        more)",
        "more": "from ..core import (\n        utils,  # déjà\n        more)",
        "c": "import a.b as c",
    }
    # The same text as ast.get_source_segment gives, without splitting the file once per node.
    expected = {
        n.lineno: ast.get_source_segment(text, n)
        for n in ast.walk(ast.parse(text))
        if "import" in type(n).__name__.lower()
    }
    assert sorted(statements.values()) == sorted(expected[i.line] for i in imports(ast.parse(text), "m", False, text))
