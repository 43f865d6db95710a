"""Thin views: parse, call the orders services, show the answer or the refusal.

Refusals: 404 for an order the viewer is no party to (exactly as for one that does not exist),
403 for what their role may not do, 409 when the order's state does not allow it (the page is
shown again with the reason), 400 for anything else they typed wrong. Never a 500.

Staff pages (the disputes queue, the order lookup, rulings) go through ``marketplace.access``'s
``staff_required``; which staff see which order is the services' rule (``services/order_parties.py``).
"""

from dataclasses import dataclass
from typing import Any

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from containers import ApplicationContainer
from marketplace.access import second_factor_done, second_factor_page, staff_access, staff_required
from marketplace.forms import apply_service_error
from marketplace.orders.forms import (
    AddToCartForm,
    CheckoutForm,
    DisputeForm,
    LookupForm,
    MessageForm,
    QuantityForm,
    ReasonForm,
    ResolveForm,
    ReviewForm,
    ShipForm,
)
from marketplace.vendors.responses import refusal
from marketplace.wallets.forms import new_idempotency_key
from services import order_states as states
from services.errors import CartError, Conflict, NotFound, PermissionDenied, ServiceError
from services.money import format_btc
from services.order_queries import DISPUTE_TABS, VENDOR_TABS
from services.staff_access import Capability

ORDERS = Provide["orders.order_service"]
QUERIES = Provide["orders.order_queries"]
CARTS = Provide["orders.cart_service"]
THREADS = Provide["orders.message_service"]
REVIEWS = Provide["orders.review_service"]
BALANCES = Provide["wallets.wallet_queries"]
VENDORS = Provide["vendors.vendor_service"]
CLOCK = Provide[ApplicationContainer.core.clock]


# the cart
@login_required
@require_GET
@inject
def cart(request, carts=CARTS):
    return _cart_page(request, carts)


@login_required
@require_POST
@inject
def cart_add(request, carts=CARTS):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        why = " ".join(form.errors.get("quantity", []))
        told = _("Choose a quantity from 1 to 999 of a product for sale.")
        return refusal(request, CartError(f"{told} {why}".strip()))
    try:
        line = carts.add(
            user_id=request.user.pk, product_id=form.cleaned_data["product_id"], quantity=form.cleaned_data["quantity"]
        )
    except ServiceError as error:
        return refusal(request, error)
    messages.success(
        request, _("%(title)s is in your cart (%(quantity)s).") % {"title": line.title, "quantity": line.quantity}
    )
    return redirect("orders:cart")


@login_required
@require_POST
@inject
def cart_update(request, product_id: int, carts=CARTS):
    form = QuantityForm(request.POST)
    if not form.is_valid():
        why = " ".join(form.errors.get("quantity", []))
        told = _("Enter a quantity from 0 to 999.")
        return _cart_page(request, carts, error=f"{told} {why}".strip(), status=400)
    try:
        carts.set_quantity(user_id=request.user.pk, product_id=product_id, quantity=form.cleaned_data["quantity"])
    except NotFound as error:
        return _cart_page(request, carts, error=error.message, status=404)
    except ServiceError as error:
        return _cart_page(request, carts, error=error.message, status=400)
    messages.success(request, _("Cart updated.") if form.cleaned_data["quantity"] else _("Removed from your cart."))
    return redirect("orders:cart")


def _cart_page(request, carts, *, error: str = "", status: int = 200):
    return render(
        request, "orders/cart.html", {"cart": carts.contents(user_id=request.user.pk), "error": error}, status=status
    )


# checkout
@login_required
@require_http_methods(["GET", "POST"])
@inject
def checkout(request, orders=ORDERS, carts=CARTS, balances=BALANCES):
    if request.method == "POST":
        form = CheckoutForm(request.POST)
        if not form.is_valid():
            return _checkout_page(
                request, orders, carts, balances, error=_("This checkout form is invalid; check out again.")
            )
        try:
            result = orders.checkout(
                buyer_id=request.user.pk,
                idempotency_key=form.cleaned_data["idempotency_key"],
                expected_total_sat=form.cleaned_data["expected_total_sat"],
            )
        except ServiceError as error:
            return _checkout_page(request, orders, carts, balances, error=error.message)
        count = len(result.references)
        messages.success(
            request,
            ngettext(
                "Paid %(total)s BTC into escrow for %(count)s order: %(references)s. "
                "The money stays in escrow until you confirm delivery.",
                "Paid %(total)s BTC into escrow for %(count)s orders: %(references)s. "
                "The money stays in escrow until you confirm delivery.",
                count,
            )
            % {"total": format_btc(result.total_sat), "count": count, "references": ", ".join(result.references)},
        )
        if count == 1:
            return redirect("orders:detail", reference=result.references[0])
        return redirect("orders:list")
    return _checkout_page(request, orders, carts, balances)


def _checkout_page(request, orders, carts, balances, *, error: str = ""):
    contents = carts.contents(user_id=request.user.pk)
    balance = balances.get_balance(user_id=request.user.pk).available_sat
    form = CheckoutForm(initial={"idempotency_key": new_idempotency_key(), "expected_total_sat": contents.total_sat})
    context = {
        "cart": contents,
        "form": form,
        "balance_sat": balance,
        "error": error,
        "short_sat": max(0, contents.total_sat - balance),
        "terms": orders.get_required_config(),
    }
    return render(request, "orders/checkout.html", context, status=400 if error else 200)


# lists
@login_required
@require_GET
@inject
def order_list(request, queries=QUERIES):
    page = queries.buyer_orders(buyer_id=request.user.pk, page=request.GET.get("page"))
    return render(request, "orders/list.html", {"page": page})


@login_required
@require_GET
@inject
def sales(request, queries=QUERIES, vendors=VENDORS):
    shop = vendors.get_for_user(user_id=request.user.pk)
    if shop is None:
        return refusal(request, PermissionDenied(_("Only vendors have a sales queue. Open a shop first.")))
    tab = request.GET.get("tab") if request.GET.get("tab") in VENDOR_TABS else "todo"
    page, counts = queries.vendor_orders(vendor_user_id=request.user.pk, tab=tab, page=request.GET.get("page"))
    tabs = [(name, label, counts[name]) for name, (label, _) in VENDOR_TABS.items()]
    return render(request, "orders/sales.html", {"page": page, "tab": tab, "tabs": tabs, "shop": shop})


@staff_required(Capability.RULE_DISPUTES)
@require_GET
@inject
def disputes(request, queries=QUERIES):
    tab = request.GET.get("tab") if request.GET.get("tab") in DISPUTE_TABS else "open"
    try:
        page, counts = queries.dispute_queue(staff_id=request.user.pk, tab=tab, page=request.GET.get("page"))
    except ServiceError as error:
        return refusal(request, error)
    return render(request, "orders/disputes.html", {"page": page, "tab": tab, "counts": counts, "lookup": LookupForm()})


@staff_required(Capability.VIEW_ANY_ORDER)
@require_GET
@inject
def lookup(request, queries=QUERIES):
    """Support's way in: type or paste a reference, land on the order (read-only for them)."""
    form = LookupForm(request.GET if "reference" in request.GET else None)
    if not form.is_bound:
        return render(request, "orders/lookup.html", {"form": form})
    if not form.is_valid():
        return render(request, "orders/lookup.html", {"form": form}, status=400)
    try:
        reference = queries.find_order(staff_id=request.user.pk, reference=form.cleaned_data["reference"])
    except NotFound as error:
        form.add_error("reference", error.message)
        return render(request, "orders/lookup.html", {"form": form}, status=404)
    except ServiceError as error:
        return refusal(request, error)
    return redirect("orders:detail", reference=reference)


# one order
@login_required
@require_GET
@inject
def detail(request, reference: str, queries=QUERIES, clock=CLOCK):
    return _detail_page(request, reference, queries, clock)


@staff_required(Capability.RULE_DISPUTES)
def resolve(request, reference: str):
    """A ruling moves the escrow: a staff page (capability, second factor) before the service checks again."""
    return act(request, reference, "resolve")


@dataclass(frozen=True)
class _Act:
    form: type | None
    done: str


# What each button posts, and what the page says once it worked.
ACTS = {
    "accept": _Act(None, gettext_lazy("Order accepted. Ship it, then mark it shipped.")),
    "decline": _Act(ReasonForm, gettext_lazy("Order declined; the buyer was refunded.")),
    "cancel": _Act(ReasonForm, gettext_lazy("Order cancelled; the money is back in your balance.")),
    "ship": _Act(ShipForm, gettext_lazy("Marked as shipped; the buyer has been told.")),
    "confirm": _Act(None, gettext_lazy("Thank you: the payment was released to the vendor.")),
    "dispute": _Act(DisputeForm, gettext_lazy("Dispute opened: staff will look at it. Use the messages below.")),
    "resolve": _Act(ResolveForm, gettext_lazy("Ruling recorded; the escrow was settled.")),
    "message": _Act(MessageForm, gettext_lazy("Message sent.")),
    "review": _Act(ReviewForm, gettext_lazy("Thank you for your review.")),
}


@login_required
@require_POST
@inject
def act(
    request, reference: str, action: str, orders=ORDERS, threads=THREADS, reviews=REVIEWS, queries=QUERIES, clock=CLOCK
):
    spec = ACTS.get(action)
    if spec is None:
        return refusal(request, NotFound(_("There is no such action on orders.")))
    if staff_access().is_staff_member(request.user) and not second_factor_done(request):
        # Staff change orders (a ruling's thread, or their own purchases) only with their second factor.
        return second_factor_page(request)
    form = spec.form(request.POST) if spec.form else None
    if form is not None and not form.is_valid():
        return _detail_page(request, reference, queries, clock, failed=(action, form), status=400)
    data: dict[str, Any] = form.cleaned_data if form is not None else {}
    user, ref = request.user.pk, reference
    try:
        if action == "message":
            threads.post(actor_id=user, reference=ref, body=data["body"])
        elif action == "review":
            reviews.leave(actor_id=user, reference=ref, rating=data["rating"], text=data["text"])
        elif action == "resolve":
            orders.resolve_dispute(
                staff_id=user,
                reference=ref,
                ruling=data["ruling"],
                buyer_percent=data["buyer_percent"],
                note=data["note"],
            )
        elif action == "ship":
            orders.ship(actor_id=user, reference=ref, tracking_note=data["tracking_note"])
        elif action in ("decline", "cancel"):
            getattr(orders, action)(actor_id=user, reference=ref, reason=data["reason"])
        elif action == "dispute":
            orders.open_dispute(actor_id=user, reference=ref, reason=data["reason"])
        else:
            getattr(orders, action)(actor_id=user, reference=ref)
    except (NotFound, PermissionDenied) as error:
        return refusal(request, error)
    except ServiceError as error:
        if form is not None and error.errors:
            apply_service_error(form, error)
            return _detail_page(request, reference, queries, clock, failed=(action, form), status=400)
        status = 409 if isinstance(error, Conflict) else 400
        return _detail_page(request, reference, queries, clock, error=error.message, status=status)
    messages.success(request, str(spec.done))
    return redirect(_next(request) or reverse("orders:detail", args=[reference]))


def _detail_page(request, reference, queries, clock, *, failed=None, error: str = "", status: int = 200):
    try:
        order = queries.order_detail(viewer_id=request.user.pk, reference=reference, now=clock.now())
    except ServiceError as refused:
        return refusal(request, refused)
    if order.role == states.STAFF and not second_factor_done(request):
        return second_factor_page(request)  # a stranger's order is a staff page (marketplace/access.py)
    forms = {
        "decline": ReasonForm(),
        "cancel": ReasonForm(),
        "ship": ShipForm(),
        "dispute": DisputeForm(),
        "resolve": ResolveForm(),
        "message": MessageForm(),
        "review": ReviewForm(),
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render(request, "orders/detail.html", {"order": order, "forms": forms, "error": error}, status=status)


def _next(request) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None
