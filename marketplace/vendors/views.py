"""Thin views: parse, call ``VendorService``, show its answer or its refusal."""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.access import staff_required
from marketplace.forms import apply_service_error
from marketplace.vendors.caching import owned_by, whole_page
from marketplace.vendors.forms import ApplyForm, ReasonForm, ShopForm
from marketplace.vendors.responses import form_status, refusal
from services.errors import ServiceError, VendorNotActive
from services.review_slots import parse_page
from services.staff_access import Capability
from services.vendor_service import VendorService

VENDOR_SERVICE = Provide["vendors.vendor_service"]
PAGE_CACHE = Provide["vendors.page_cache"]


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 1  # not "²"


@require_GET
@inject
def storefront(request, slug: str, vendor_service: VendorService = VENDOR_SERVICE, page_cache=PAGE_CACHE):
    page = _page_number(request)
    reviews_page = parse_page(request.GET.get("reviews"))

    def build():
        try:
            front = vendor_service.storefront(
                slug=slug,
                page=page,
                viewer_id=request.user.pk if request.user.is_authenticated else None,
                reviews_page=reviews_page,
            )
        except ServiceError as error:
            return refusal(request, error)
        return owned_by(render(request, "vendors/storefront.html", {"front": front}), front.vendor.user_id)

    return whole_page(
        request,
        page_cache,
        key=f"storefront:{slug.lower()}:{page}:{reviews_page}",
        scopes=[f"shop:{slug.lower()}"],
        build=build,
        signed_in=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
@inject
def apply(request, vendor_service: VendorService = VENDOR_SERVICE):
    current = vendor_service.get_for_user(user_id=request.user.pk)
    if current is not None and current.status != "rejected":
        return redirect("vendors:dashboard")
    initial = (
        {"shop_name": current.shop_name, "slug": current.slug, "description": current.description} if current else {}
    )
    form = ApplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            vendor_service.apply(user_id=request.user.pk, **form.cleaned_data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Thank you. Staff will review your shop shortly."))
            return redirect("vendors:dashboard")
    return render(request, "vendors/apply.html", {"form": form, "current": current}, status=form_status(form))


@login_required
@require_GET
@inject
def dashboard(request, vendor_service: VendorService = VENDOR_SERVICE):
    vendor = vendor_service.get_for_user(user_id=request.user.pk)
    if vendor is None:
        return redirect("vendors:apply")
    products = vendor_service.dashboard_products(user_id=request.user.pk)
    return render(request, "vendors/dashboard.html", {"vendor": vendor, "products": products})


@login_required
@require_http_methods(["GET", "POST"])
@inject
def edit_shop(request, vendor_service: VendorService = VENDOR_SERVICE):
    vendor = vendor_service.get_for_user(user_id=request.user.pk)
    if vendor is None:
        return redirect("vendors:apply")
    if vendor.status != "approved":
        return refusal(request, VendorNotActive(_("You can edit your shop once it is approved.")))
    form = ShopForm(request.POST or None, initial={"shop_name": vendor.shop_name, "description": vendor.description})
    if request.method == "POST" and form.is_valid():
        try:
            vendor_service.update_shop(user_id=request.user.pk, **form.cleaned_data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Shop saved."))
            return redirect("vendors:dashboard")
    return render(request, "vendors/edit_shop.html", {"form": form, "vendor": vendor}, status=form_status(form))


@staff_required(Capability.MANAGE_VENDORS)
@require_GET
@inject
def staff_queue(request, vendor_service: VendorService = VENDOR_SERVICE):
    try:
        groups = vendor_service.applications(staff_id=request.user.pk)
    except ServiceError as error:
        return refusal(request, error)
    return render(request, "vendors/staff.html", {"groups": groups, "reason_form": ReasonForm()})


def _staff_action(request, vendor_id: int, action, done: str, *, needs_reason: bool):
    form = ReasonForm(request.POST) if needs_reason else None
    if form is not None and not form.is_valid():
        messages.error(request, _("Give a reason the vendor will see."))
        return redirect("vendors:staff")
    try:
        kwargs = {"reason": form.cleaned_data["reason"]} if form is not None else {}
        vendor = action(staff_id=request.user.pk, vendor_id=vendor_id, **kwargs)
    except ServiceError as error:
        if error.errors and not error.field and set(error.errors) <= {"reason"}:
            messages.error(request, f"{error.message} {' '.join(error.errors['reason'])}")
            return redirect("vendors:staff")
        return refusal(request, error)
    messages.success(request, done % {"shop": vendor.shop_name})
    return redirect("vendors:staff")


@staff_required(Capability.MANAGE_VENDORS)
@require_POST
@inject
def approve(request, vendor_id: int, vendor_service: VendorService = VENDOR_SERVICE):
    return _staff_action(request, vendor_id, vendor_service.approve, _("%(shop)s: approved."), needs_reason=False)


@staff_required(Capability.MANAGE_VENDORS)
@require_POST
@inject
def reject(request, vendor_id: int, vendor_service: VendorService = VENDOR_SERVICE):
    return _staff_action(request, vendor_id, vendor_service.reject, _("%(shop)s: rejected."), needs_reason=True)


@staff_required(Capability.MANAGE_VENDORS)
@require_POST
@inject
def suspend(request, vendor_id: int, vendor_service: VendorService = VENDOR_SERVICE):
    return _staff_action(request, vendor_id, vendor_service.suspend, _("%(shop)s: suspended."), needs_reason=True)


@staff_required(Capability.MANAGE_VENDORS)
@require_POST
@inject
def unsuspend(request, vendor_id: int, vendor_service: VendorService = VENDOR_SERVICE):
    return _staff_action(
        request, vendor_id, vendor_service.unsuspend, _("%(shop)s: suspension lifted."), needs_reason=False
    )
