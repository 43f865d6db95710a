"""Thin views: parse, call the catalog's services, show the answer or the refusal."""

from dependency_injector.wiring import Provide, Provider, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.access import staff_required
from marketplace.forms import apply_service_error
from marketplace.products.forms import NoteForm, ProductForm, ReportForm
from marketplace.products.models import ProductReport
from marketplace.vendors.caching import owned_by, query_key, whole_page
from marketplace.vendors.responses import form_status, refusal
from services.catalog_queries import CatalogQueries
from services.catalog_service import CatalogService
from services.errors import NotFound, ServiceError, ServiceUnavailable, VendorNotActive
from services.moderation_service import ModerationService
from services.review_slots import parse_page
from services.staff_access import Capability
from services.vendor_service import VendorService

QUERIES = Provide["products.catalog_queries"]
CATALOG = Provide["products.catalog_service"]
MODERATION = Provide["products.moderation_service"]
IMAGES = Provide["products.product_images"]
VENDORS = Provide["vendors.vendor_service"]
PAGE_CACHE = Provide["vendors.page_cache"]


def no_product() -> NotFound:
    """Built per request, so the refusal is in the reader's language."""
    return NotFound(_("There is no such product."))


def _viewer(request) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


# the catalog
# On a cache hit for an anonymous visitor these views build no service at all: they get the
# providers, and call them only to render.
QUERIES_PROVIDER = Provider["products.catalog_queries"]
CATALOG_PARAMS = ("q", "category", "vendor", "min_price", "max_price", "sort", "page")


@require_GET
@inject
def catalog(request, queries_provider=QUERIES_PROVIDER, page_cache=PAGE_CACHE):
    def build():
        queries: CatalogQueries = queries_provider()
        filters, notices = queries.parse_filters(request.GET)
        result = queries.list_products(filters=filters, notices=notices)
        context = {"result": result, "sorts": queries.sort_choices()}
        return render(request, "products/catalog.html", context, status=400 if result.notices else 200)

    return whole_page(
        request,
        page_cache,
        key="catalog:" + query_key(request, CATALOG_PARAMS),
        scopes=["catalog"],
        build=build,
        signed_in=True,
    )


@require_GET
@inject
def detail(request, product_id: int, queries_provider=QUERIES_PROVIDER, page_cache=PAGE_CACHE):
    reviews_page = parse_page(request.GET.get("reviews"))

    def build():
        user_id = _viewer(request)
        queries = queries_provider()
        product = queries.visible_product(product_id=product_id, viewer_id=user_id)
        if product is None:
            return refusal(request, no_product())
        reviews = queries.product_reviews(product_id=product.id, page=reviews_page, known_count=product.rating_count)
        context = {"product": product, "owner": user_id == product.vendor_user_id, "reviews": reviews}
        return owned_by(render(request, "products/detail.html", context), product.vendor_user_id)

    key = f"detail:{product_id}:{reviews_page}"
    return whole_page(
        request, page_cache, key=key, scopes=[f"product:{product_id}", "categories"], build=build, signed_in=True
    )


@require_GET
@inject
def image(request, image_id: int, queries: CatalogQueries = QUERIES, images=IMAGES):
    """The picture, or with ``?size=240`` / ``?size=480`` its thumbnail (any other size: 404)."""
    width = None
    if "size" in request.GET:
        width = images.thumbnail_width(request.GET["size"])
        if width is None:
            return refusal(request, NotFound(_("There is no such picture size.")))
    found = queries.image_file(image_id=image_id)
    product = queries.visible_product(product_id=found.product_id, viewer_id=_viewer(request)) if found else None
    if product is None:
        return refusal(request, NotFound(_("There is no such picture.")))
    try:
        picture = images.open_sized(
            file=found.file, content_type=found.content_type, thumbnails=found.thumbnails, width=width
        )
    except ServiceError as error:
        response = refusal(request, error)
        if isinstance(error, ServiceUnavailable):
            response.status_code = 503
            response["Retry-After"] = "30"
        return response
    response = FileResponse(picture.handle, content_type=picture.content_type)
    # Pictures never change (a new one gets a new id); hidden products' ones stay private. The
    # picture standing in for a thumbnail not made yet is kept briefly: the thumbnail will come.
    if not product.listed:
        response["Cache-Control"] = "private, no-store"
    elif picture.exact:
        response["Cache-Control"] = "public, max-age=86400, immutable"
    else:
        response["Cache-Control"] = "public, max-age=600"
    return response


# the vendor's listings
@login_required
@require_http_methods(["GET", "POST"])
@inject
def create(
    request,
    catalog: CatalogService = CATALOG,
    queries: CatalogQueries = QUERIES,
    vendors: VendorService = VENDORS,
    images=IMAGES,
):
    try:
        vendors.require_active(user_id=request.user.pk)
    except ServiceError as error:
        return refusal(request, error)
    form = ProductForm(
        request.POST or None,
        request.FILES or None,
        categories=queries.category_tree().choices(),
        image_help=_image_help(images, catalog),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            product_id = catalog.create_product(
                actor_id=request.user.pk,
                title=data["title"],
                description=data["description"],
                price_sat=data["price"],
                stock=data["stock"],
                category_id=data["category"],
                is_active=data["is_active"],
                images=data["images"],
            )
        except ServiceError as error:
            if not error.errors:
                return refusal(request, error)
            apply_service_error(form, error)
            if isinstance(error, ServiceUnavailable):
                return _form_page(request, form, None, unavailable=True)
        else:
            messages.success(request, _("Your product is listed."))
            return redirect("products:detail", product_id=product_id)
    return _form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
@inject
def edit(
    request,
    product_id: int,
    catalog: CatalogService = CATALOG,
    queries: CatalogQueries = QUERIES,
    vendors: VendorService = VENDORS,
    images=IMAGES,
):
    try:
        vendors.require_active(user_id=request.user.pk)
    except ServiceError as error:
        return refusal(request, error)
    product = queries.product_detail(product_id=product_id)
    if product is None or product.vendor_user_id != request.user.pk:
        return refusal(request, no_product())
    initial = {
        "title": product.title,
        "description": product.description,
        "price": product.price_sat,
        "stock": product.stock,
        "category": product.category.id if product.category else None,
        "is_active": product.is_active,
    }
    form = ProductForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        categories=queries.category_tree().choices(),
        image_help=_image_help(images, catalog),
        existing_images=product.images,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            catalog.update_product(
                actor_id=request.user.pk,
                product_id=product_id,
                title=data["title"],
                description=data["description"],
                price_sat=data["price"],
                stock=data["stock"],
                category_id=data["category"],
                is_active=data["is_active"],
                add_images=data["images"],
                remove_image_ids=data.get("remove_images") or (),
            )
        except ServiceError as error:
            if not error.errors:
                return refusal(request, error)
            apply_service_error(form, error)
            if isinstance(error, ServiceUnavailable):
                return _form_page(request, form, product, unavailable=True)
        else:
            messages.success(request, _("Product saved."))
            return redirect("products:detail", product_id=product_id)
    return _form_page(request, form, product)


def _form_page(request, form, product, *, unavailable: bool = False):
    """The product form; 503 (try again later) when the pictures' storage refused, as the
    finance pages do when the chain backend is down."""
    status = 503 if unavailable else form_status(form)
    response = render(request, "products/edit.html", {"form": form, "product": product}, status=status)
    if unavailable:
        response["Retry-After"] = "30"
    return response


def _image_help(images, catalog) -> str:
    return _("Up to %(count)s pictures: %(limits)s.") % {
        "count": catalog.max_images,
        "limits": images.describe_limits(),
    }


@login_required
@require_POST
@inject
def unlist(request, product_id: int, catalog: CatalogService = CATALOG):
    return _set_listed(request, catalog, product_id, False, _("Hidden from buyers."))


@login_required
@require_POST
@inject
def relist(request, product_id: int, catalog: CatalogService = CATALOG):
    return _set_listed(request, catalog, product_id, True, _("Listed again."))


def _set_listed(request, catalog, product_id, listed: bool, done: str):
    try:
        catalog.set_listed(actor_id=request.user.pk, product_id=product_id, listed=listed)
    except ServiceError as error:
        return refusal(request, error)
    messages.success(request, done)
    return redirect("products:detail", product_id=product_id)


@login_required
@require_http_methods(["GET", "POST"])
@inject
def delete(
    request,
    product_id: int,
    catalog: CatalogService = CATALOG,
    queries: CatalogQueries = QUERIES,
    vendors: VendorService = VENDORS,
):
    if vendors.get_for_user(user_id=request.user.pk) is None:
        return refusal(request, VendorNotActive(_("Only vendors can do this. Apply to open a shop first.")))
    if request.method == "POST":
        try:
            catalog.delete_product(actor_id=request.user.pk, product_id=product_id)
        except ServiceError as error:
            return refusal(request, error)
        messages.success(request, _("Product deleted."))
        return redirect("vendors:dashboard")
    product = queries.product_detail(product_id=product_id)
    if product is None or product.vendor_user_id != request.user.pk:
        return refusal(request, no_product())
    return render(request, "products/delete.html", {"product": product})


# moderation
@login_required
@require_http_methods(["GET", "POST"])
@inject
def report(request, product_id: int, moderation: ModerationService = MODERATION, queries: CatalogQueries = QUERIES):
    product = queries.visible_product(product_id=product_id, viewer_id=_viewer(request))
    if product is None:
        return refusal(request, no_product())
    form = ReportForm(request.POST or None, reasons=ProductReport.Reason.choices)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report(reporter_id=request.user.pk, product_id=product_id, **form.cleaned_data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Thank you. Staff will look at this listing."))
            return redirect("products:detail", product_id=product_id)
    return render(request, "products/report.html", {"form": form, "product": product}, status=form_status(form))


@staff_required(Capability.MODERATE_CATALOG)
@require_GET
@inject
def moderation_queue(request, queries: CatalogQueries = QUERIES):
    try:
        queue = queries.moderation_queue(staff_id=request.user.pk)
    except ServiceError as error:
        return refusal(request, error)
    return render(request, "products/moderation.html", {"queue": queue})


def _moderate(request, action, done: str, **kwargs):
    try:
        action(staff_id=request.user.pk, **kwargs)
    except ServiceError as error:
        if error.errors and set(error.errors) <= {"note"}:
            messages.error(request, f"{error.message} {' '.join(error.errors['note'])}")
            return redirect("products:moderation")
        return refusal(request, error)
    messages.success(request, done)
    return redirect("products:moderation")


@staff_required(Capability.MODERATE_CATALOG)
@require_POST
@inject
def moderate_unlist(request, product_id: int, moderation: ModerationService = MODERATION):
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _moderate(
        request, moderation.unlist, _("Listing unlisted; the vendor sees your note."), product_id=product_id, note=note
    )


@staff_required(Capability.MODERATE_CATALOG)
@require_POST
@inject
def moderate_restore(request, product_id: int, moderation: ModerationService = MODERATION):
    return _moderate(request, moderation.restore, _("Listing restored."), product_id=product_id)


@staff_required(Capability.MODERATE_CATALOG)
@require_POST
@inject
def moderate_dismiss(request, product_id: int, moderation: ModerationService = MODERATION):
    return _moderate(request, moderation.dismiss_reports, _("Reports dismissed."), product_id=product_id)
