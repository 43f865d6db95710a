"""Service refusals as pages: one translation for vendors, products and orders.

The staff gate is ``marketplace.access.staff_required``, by capability."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from services.errors import Conflict, NotFound, PermissionDenied, ServiceError


def refusal(request, error: ServiceError):
    """404 for what the caller may not know exists, 403 for what they may not do, 409 for a
    state that changed under them, 400 for anything else the service refused."""
    if isinstance(error, NotFound):
        status, title = 404, _("Not found")
    elif isinstance(error, PermissionDenied):
        status, title = 403, _("Not allowed")
    elif isinstance(error, Conflict):
        status, title = 409, _("That cannot be done now")
    else:
        status, title = 400, _("That cannot be done")
    return render(request, "vendors/refused.html", {"title": title, "message": error.message}, status=status)


def form_status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
