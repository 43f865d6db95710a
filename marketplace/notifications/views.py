"""Thin views: the signed-in user's notifications, and marking them read."""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

NOTIFICATIONS = Provide["notifications.notification_service"]


@login_required
@require_GET
@inject
def inbox(request, service=NOTIFICATIONS):
    rows = service.inbox(user_id=request.user.pk)
    return render(
        request,
        "notifications/inbox.html",
        {"rows": rows, "unread": sum(1 for row in rows if row.unread), "backend": service.backend_name},
    )


@login_required
@require_POST
@inject
def mark_all_read(request, service=NOTIFICATIONS):
    count = service.mark_all_read(user_id=request.user.pk)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications:inbox")
