"""Thin views: a signed-in user's webhook endpoints and their deliveries.

Authorization is the service's: another user's endpoint or delivery is ``NotFound``, a 404 here.
Making an endpoint and rotating its secret want a recent password (``recent_auth_required``):
both hand out a secret, and an endpoint sends the user's order data off the site.
"""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.accounts.reauth import recent_auth_required
from marketplace.forms import apply_service_error
from marketplace.webhooks.forms import ActiveForm, EndpointForm
from services.errors import Conflict, NotFound, ServiceError

WEBHOOKS = Provide["webhooks.webhook_service"]


@login_required
@require_GET
@inject
def endpoint_list(request, service=WEBHOOKS):
    context = {"endpoints": service.endpoints(user_id=request.user.pk), "form": EndpointForm()}
    return render(request, "webhooks/list.html", context)


@login_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
@inject
def create(request, service=WEBHOOKS):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = service.register(user_id=request.user.pk, **form.cleaned_data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return _secret_page(request, service, made, rotated=False)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "webhooks/create.html", {"form": form}, status=status)


@login_required
@require_GET
@inject
def detail(request, endpoint_id: int, service=WEBHOOKS):
    try:
        endpoint = service.endpoint(user_id=request.user.pk, endpoint_id=endpoint_id)
        deliveries = service.deliveries(user_id=request.user.pk, endpoint_id=endpoint_id)
    except NotFound:
        raise Http404("No such endpoint.") from None
    return render(request, "webhooks/detail.html", {"endpoint": endpoint, "deliveries": deliveries})


@login_required
@require_POST
@recent_auth_required
@inject
def rotate(request, endpoint_id: int, service=WEBHOOKS):
    try:
        made = service.rotate_secret(user_id=request.user.pk, endpoint_id=endpoint_id)
    except NotFound:
        raise Http404("No such endpoint.") from None
    return _secret_page(request, service, made, rotated=True)


@login_required
@require_POST
@inject
def set_active(request, endpoint_id: int, service=WEBHOOKS):
    form = ActiveForm(request.POST)
    if not form.is_valid():
        return render(request, "webhooks/refused.html", {"message": _("Enable or disable: nothing else.")}, status=400)
    active = form.cleaned_data["active"]
    try:
        service.set_active(user_id=request.user.pk, endpoint_id=endpoint_id, active=active)
    except NotFound:
        raise Http404("No such endpoint.") from None
    messages.success(request, _("Endpoint enabled.") if active else _("Endpoint disabled: nothing is sent to it."))
    return redirect("webhooks:detail", endpoint_id=endpoint_id)


@login_required
@require_POST
@inject
def delete(request, endpoint_id: int, service=WEBHOOKS):
    try:
        service.delete(user_id=request.user.pk, endpoint_id=endpoint_id)
    except NotFound:
        raise Http404("No such endpoint.") from None
    messages.success(request, _("Endpoint deleted, with its deliveries."))
    return redirect("webhooks:list")


@login_required
@require_POST
@inject
def redeliver(request, endpoint_id: int, delivery_id: int, service=WEBHOOKS):
    try:
        service.redeliver(user_id=request.user.pk, endpoint_id=endpoint_id, delivery_id=delivery_id)
    except NotFound:
        raise Http404("No such delivery.") from None
    except Conflict as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Sending it again."))
    return redirect("webhooks:detail", endpoint_id=endpoint_id)


def _secret_page(request, service, made, *, rotated: bool):
    # Rendered in answer to the POST, not redirected to: the secret is never put in a session,
    # a message or a URL, and this response is private and not stored (PrivatePagesMiddleware).
    endpoint = service.endpoint(user_id=request.user.pk, endpoint_id=made.endpoint_id)
    return render(request, "webhooks/secret.html", {"endpoint": endpoint, "secret": made.secret, "rotated": rotated})
