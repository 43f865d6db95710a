"""Notifications: tell the other party of an order what happened, after it happened."""

from dependency_injector import containers, providers
from django.conf import settings
from django.utils.translation import gettext_lazy
from modkit import BaseModule, NavEntry, module

from services.notification_backends import EmailBackend, LogBackend
from services.notification_inbox import NotificationInbox
from services.notification_preferences import NotificationPreferences
from services.notification_service import TOPICS, NotificationService

BACKENDS = ("log", "email")


class NotificationsContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()

    # Outside our walls (a mail server), so tests may override it.
    notification_backend = providers.Selector(
        config.backend,
        log=providers.Singleton(LogBackend),
        email=providers.Singleton(EmailBackend, from_email=config.from_email),
    )
    notification_service = providers.Factory(
        NotificationService,
        backend=notification_backend,
        clock=core.clock,
        tasks=core.task_service,
        site_url=config.site_url,
        people=core.personal_parts,
    )
    notification_inbox = providers.Factory(NotificationInbox, clock=core.clock, people=core.personal_parts)
    notification_preferences = providers.Factory(NotificationPreferences)


@module(
    name="notifications",
    version="1.0.0",
    description="Order notifications to the other party, after commit, by log or e-mail",
    author="Marketplace team",
    dependencies=["accounts>=1.0"],
)
class NotificationsModule(BaseModule):
    container_class = NotificationsContainer
    apps = ("marketplace.notifications",)
    urls = "marketplace.notifications.urls"
    url_prefix = "notifications/"
    wire = ("marketplace.notifications.views", "marketplace.notifications.templatetags.notification_tags")
    critical = False  # orders go on without it: a notification is never worth refusing a sale
    subscriptions = {topic: "notification_service.handle" for topic in TOPICS}
    # Sending is a background task: a request never waits on a mail server.
    tasks = {"deliver": "notification_service.deliver"}
    # The unread count beside the link: one indexed query per signed-in page, none for visitors.
    nav = (
        NavEntry(
            gettext_lazy("Notifications"),
            "notifications:inbox",
            signed_in=True,
            order=40,
            template="notifications/_nav_entry.html",
        ),
    )
    # E-mail preferences per kind, on the profile page.
    page_parts = {"accounts.profile": "notifications/_profile_card.html"}

    def initialize(self) -> bool:
        from marketplace.notifications.models import EmailOptOut, Notification

        backend = self.container.config.backend()
        if backend not in BACKENDS:
            raise ValueError(f"notifications.backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        if backend == "email" and not self.container.config.from_email():
            raise ValueError("notifications.from_email is required by the email backend")
        self.container.notification_service()
        Notification.objects.exists()
        EmailOptOut.objects.exists()  # preferences' table too: sending reads it
        return True

    def health_checks(self):
        return {"delivery": self._delivery}

    def _delivery(self) -> dict:
        """Figures of the last hour; DOWN (the system DEGRADED) when every attempt in it failed."""
        from datetime import timedelta

        from django.db.models import Count, Q

        from marketplace.notifications.models import Notification

        since = self.container.core.clock().now() - timedelta(hours=1)
        figures = Notification.objects.filter(created_at__gte=since).aggregate(
            sent=Count("pk", filter=Q(status=Notification.Status.SENT)),
            failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
        )
        backend = self.container.config.backend()
        if figures["failed"] and not figures["sent"]:
            last = Notification.objects.filter(status=Notification.Status.FAILED).order_by("-id").first()
            raise RuntimeError(f"every notification of the last hour failed on the {backend} backend: {last.error}")
        return {
            "backend": backend,
            "email_backend": settings.EMAIL_BACKEND if backend == "email" else None,
            "sent_last_hour": figures["sent"],
            "failed_last_hour": figures["failed"],
        }
