"""Thin views: the signed-in user's notifications, marking them read, and e-mail preferences."""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from marketplace.notifications.templatetags.notification_tags import remember_unread
from services.errors import NotFound, ServiceError

NOTIFICATIONS = Provide["notifications.notification_service"]
INBOX = Provide["notifications.notification_inbox"]
PREFERENCES = Provide["notifications.notification_preferences"]


@login_required
@require_GET
@inject
def inbox(request, inbox=INBOX, service=NOTIFICATIONS):
    page = inbox.page(user_id=request.user.pk, number=request.GET.get("page") or 1)
    remember_unread(request, page.unread)
    return render(request, "notifications/inbox.html", {"inbox": page, "backend": service.backend_name})


@login_required
@require_POST
@inject
def mark_read(request, notification_id: int, inbox=INBOX):
    try:
        inbox.mark_read(user_id=request.user.pk, notification_id=notification_id)
    except NotFound as error:
        raise Http404(error.message) from None
    return redirect(_back_to_list(request.POST.get("page")))


@login_required
@require_GET
@inject
def open_notification(request, notification_id: int, inbox=INBOX):
    """Following a notification's link: marked read, then on to what it is about."""
    try:
        return redirect(inbox.open(user_id=request.user.pk, notification_id=notification_id))
    except NotFound as error:
        raise Http404(error.message) from None


@login_required
@require_POST
@inject
def mark_all_read(request, inbox=INBOX):
    count = inbox.mark_all_read(user_id=request.user.pk)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications:inbox")


@login_required
@require_POST
@inject
def preferences(request, preferences=PREFERENCES):
    try:
        preferences.set_email_preferences(user_id=request.user.pk, wanted=request.POST.getlist("email"))
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "E-mail preferences saved.")
    return redirect(reverse("accounts:profile") + "#notification-email")


def _back_to_list(page) -> str:
    where = reverse("notifications:inbox")
    return f"{where}?page={page}" if str(page or "").isdigit() and len(page) < 6 else where
