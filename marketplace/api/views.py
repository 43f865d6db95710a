"""Thin views: the owner's personal access tokens (create, see, revoke)."""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.accounts.reauth import recent_auth_required
from marketplace.api.errors import body
from marketplace.api.forms import TokenForm
from marketplace.forms import apply_service_error
from services.errors import NotFound, TokenError

API = Provide["api.api_service"]


# Minting a credential is as sensitive as a withdrawal: the password again, recently.
@login_required
@recent_auth_required
@never_cache
@require_http_methods(["GET", "POST"])
@inject
def tokens(request, service=API):
    form = TokenForm(request.POST or None)
    issued = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                issued = service.create_token(
                    user_id=request.user.pk,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
                form = TokenForm()
            except TokenError as error:
                apply_service_error(form, error)
        status = 400 if form.is_bound and form.errors else 201 if issued else 200
    context = {"form": form, "issued": issued, "tokens": service.tokens(user_id=request.user.pk)}
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
@inject
def revoke(request, token_id: int, service=API):
    try:
        service.revoke(user_id=request.user.pk, token_id=token_id)
    except NotFound as error:
        raise Http404(error.message) from error
    messages.success(request, _("The token was revoked: anything using it is refused from now on."))
    return redirect("api:tokens")


def no_such_route(request):
    return JsonResponse(body("not_found", f"There is no {request.path} in this API: see /api/v1/docs."), status=404)
