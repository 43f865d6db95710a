"""``--rewrite-views`` on source text: injection, imports, and refusing what it cannot do safely."""

import ast
from pathlib import Path
from types import SimpleNamespace

from modkit.modularize.rewrite import rewrite_views
from modkit.modularize.servicegen import ViewChange

PROVIDE = 'shop_service: ShopService = Provide["shop.shop_service"]'


def plan(changes):
    return SimpleNamespace(
        view_changes=changes,
        service_name="shop_service",
        service_class="ShopService",
        service_import="shop.shop_service",
        provide="shop.shop_service",
        layout=SimpleNamespace(not_found=("django.core.exceptions", "ObjectDoesNotExist")),
    )


def change(text: str, before: str, after: str, view: str = "view") -> ViewChange:
    lines = text.split("\n")
    first = before.split("\n")[0]
    line = next(i for i, row in enumerate(lines, 1) if row == first)
    return ViewChange(
        file="shop/views.py",
        line=line,
        end_line=line + before.count("\n"),
        view=view,
        before=before,
        after=after,
        method="m",
    )


def rewrite(text: str, *changes):
    [result] = rewrite_views(plan(list(changes)), {"shop/views.py": text}, Path("/project"))
    return result


FUNCTION_VIEW = '''"""Shop pages."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from .models import Order


@login_required
def order(request, pk):
    order = get_object_or_404(Order, pk=pk, owner=request.user)
    return JsonResponse({"id": order.pk})
'''


def test_a_function_view_gets_inject_innermost_the_parameter_and_complete_imports():
    result = rewrite(
        FUNCTION_VIEW,
        change(
            FUNCTION_VIEW,
            "    order = get_object_or_404(Order, pk=pk, owner=request.user)",
            "    try:\n        order = shop_service.get_order(pk=pk, user=request.user)\n"
            "    except ObjectDoesNotExist:\n        raise Http404 from None",
        ),
    )
    assert result.problem == ""
    text = result.text
    assert f"@login_required\n@inject\ndef order(request, pk, {PROVIDE}):" in text
    assert "from django.http import Http404, JsonResponse" in text  # merged into the existing line
    assert "from dependency_injector.wiring import Provide, inject" in text
    assert "from django.core.exceptions import ObjectDoesNotExist" in text
    assert "from shop.shop_service import ShopService" in text
    # Only the replaced code used these: they go; the models import went with its last use.
    assert "get_object_or_404" not in text and "from .models import" not in text
    compile(text, "views.py", "exec")
    # The third-party import sits with Django's, before it (alphabetical), the project's after them.
    order = [line for line in text.split("\n") if line.startswith("from ")]
    assert order.index("from dependency_injector.wiring import Provide, inject") < order.index(
        "from django.contrib.auth.decorators import login_required"
    )
    assert order[-1] == "from shop.shop_service import ShopService"


CLASS_VIEW = """from django.views import generic

from .models import Order


class OrderList(generic.ListView):
    paginate_by = 10

    def get_queryset(self):
        return Order.objects.filter(owner=self.request.user)
"""


def test_a_class_based_views_method_gets_injected_like_a_function():
    result = rewrite(
        CLASS_VIEW,
        change(
            CLASS_VIEW,
            "        return Order.objects.filter(owner=self.request.user)",
            "        return shop_service.list_orders(user=self.request.user)",
            view="OrderList.get_queryset",
        ),
    )
    assert result.problem == ""
    assert f"    @inject\n    def get_queryset(self, {PROVIDE}):\n" in result.text
    assert "from .models import" not in result.text


def test_a_change_that_brings_its_own_injected_method_is_left_as_written():
    text = (
        "from django.views import generic\n\nfrom .models import Order\n\n\n"
        "class OrderList(generic.ListView):\n    model = Order\n"
    )
    after = f"    @inject\n    def get_queryset(self, {PROVIDE}):\n        return shop_service.list_orders()"
    result = rewrite(text, change(text, "    model = Order", after, view="OrderList"))
    assert result.problem == ""
    assert result.text.count("@inject") == 1
    assert "    model = Order" not in result.text


def test_the_parameter_goes_before_double_star_kwargs_and_after_star_args():
    text = (
        "from .models import Order\n\n\ndef a(request, **kwargs):\n    return Order.objects.count()\n\n\n"
        "def b(request, *args, **kw):\n    return Order.objects.exists()\n"
    )
    result = rewrite(
        text,
        change(text, "    return Order.objects.count()", "    return shop_service.count_orders()"),
        change(text, "    return Order.objects.exists()", "    return shop_service.any_orders()"),
    )
    assert result.problem == ""
    assert f"def a(request, {PROVIDE}, **kwargs):" in result.text
    assert f"def b(request, *args, {PROVIDE}, **kw):" in result.text
    ast.parse(result.text)


def test_two_changes_in_one_statement_are_refused():
    text = (
        "from .models import A\n\n\ndef v(request):\n"
        "    n = A.objects.count() + A.objects.filter(x=1).count()\n    return n\n"
    )
    line = "    n = A.objects.count() + A.objects.filter(x=1).count()"
    result = rewrite(
        text,
        change(text, line, "    n = shop_service.count_a() + A.objects.filter(x=1).count()"),
        change(text, line, "    n = A.objects.count() + shop_service.count_a_with_x()"),
    )
    assert "one statement" in result.problem
    assert result.text == text


def test_a_rewrite_that_would_leave_a_name_unbound_is_refused():
    text = "from .models import A\n\n\ndef v(request):\n    return A.objects.count()\n"
    result = rewrite(text, change(text, "    return A.objects.count()", "    return shop_service.count_a(limit=LIMIT)"))
    assert result.problem == "names left unbound after the rewrite: LIMIT"
    assert result.text == text


def test_the_service_import_starts_a_group_of_its_own_before_the_relative_imports():
    text = (
        "from django.views import generic\n\nfrom .models import Order\n\n\n"
        "class OrderList(generic.ListView):\n    model = Order\n\n"
        "    def get_queryset(self):\n        return Order.objects.all()\n"
    )
    moved = change(text, "        return Order.objects.all()", "        return shop_service.list_orders()")
    result = rewrite(text, moved)
    assert result.problem == ""
    head = result.text.split("\n\n\n")[0]
    assert head.split("\n\n") == [
        "from dependency_injector.wiring import Provide, inject\nfrom django.views import generic",
        "from shop.shop_service import ShopService",
        "from .models import Order",
    ]


def test_a_line_the_rewrite_makes_too_long_is_split_one_argument_per_line():
    text = (
        "from .models import Order\n\n\ndef view(request, pk):\n"
        "    order = Order.objects.get(pk=pk)\n    order.note = request.POST['note']\n    order.save()\n"
        "    return order\n"
    )
    after = (
        "    order = shop_service.update_order_note_and_notify_the_customer("
        "order=order, note=request.POST['note'], customer=request.user)"
    )
    result = rewrite(text, change(text, "    order.note = request.POST['note']\n    order.save()", after))
    assert result.problem == ""
    assert (
        "    order = shop_service.update_order_note_and_notify_the_customer(\n"
        "        order=order,\n        note=request.POST['note'],\n        customer=request.user,\n    )\n"
    ) in result.text
    assert f"def view(request, pk, {PROVIDE}):" in result.text  # short enough: left on one line
    assert max(len(line) for line in result.text.split("\n")) <= 88
