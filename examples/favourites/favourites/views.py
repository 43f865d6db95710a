"""Thin views: read the request, ask the service, say what happened."""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from favourites.errors import FavouriteError
from favourites.favourite_service import FavouriteService

FAVOURITES = Provide["favourites.favourite_service"]


@login_required
@require_GET
@inject
def favourites_list(request, favourites: FavouriteService = FAVOURITES):
    return render(request, "favourites/list.html", {"rows": favourites.list_for(user_id=request.user.pk)})


@login_required
@require_POST
@inject
def toggle(request, favourites: FavouriteService = FAVOURITES):
    action = request.POST.get("action")
    product_id = request.POST.get("product_id")
    try:
        if action == "add":
            favourites.add(user_id=request.user.pk, product_id=product_id)
            messages.success(request, "Added to your favourites.")
        elif action == "remove":
            favourites.remove(user_id=request.user.pk, product_id=product_id)
            messages.success(request, "Removed from your favourites.")
        else:
            messages.error(request, "Choose to add or to remove a favourite.")
    except FavouriteError as error:
        messages.error(request, error.message)
    return redirect(_next(request))


def _next(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "favourites:list"
