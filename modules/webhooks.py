"""Webhooks: a user's own order and product events, POSTed signed to the URLs they register."""

from dependency_injector import containers, providers
from django.utils.translation import gettext_lazy
from modkit import BaseModule, NavEntry, module

from services.webhook_service import TOPICS, WebhookService


class WebhooksContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()

    webhook_service = providers.Factory(
        WebhookService,
        clock=core.clock,
        tasks=core.task_service,
        allow_http=config.allow_http,
        allow_private=config.allow_private,
        timeout_seconds=config.timeout_seconds,
        max_attempts=config.max_attempts,
        max_endpoints=config.max_endpoints,
        recent_deliveries=config.recent_deliveries,
    )


@module(
    name="webhooks",
    version="1.0.0",
    description="Signed, retried webhook deliveries of a user's own order and product events",
    author="Marketplace team",
    dependencies=["accounts>=1.0"],
)
class WebhooksModule(BaseModule):
    container_class = WebhooksContainer
    apps = ("marketplace.webhooks",)
    urls = "marketplace.webhooks.urls"
    url_prefix = "webhooks/"
    wire = ("marketplace.webhooks.views",)
    critical = False  # an integrator's receiver being down must never stop a sale
    config_defaults = {
        # Plain http:// endpoints, for a receiver on a developer's machine; never in production.
        "allow_http": False,
        # Endpoints on loopback, private or link-local addresses (the tests' receiver on 127.0.0.1):
        # off, so that nobody can point the marketplace at its own network (SSRF).
        "allow_private": False,
        "timeout_seconds": 10,
        # Attempts of one sending (by the task queue, with its back-off) before it counts as failed.
        "max_attempts": 6,
        "max_endpoints": 10,  # per user
        "recent_deliveries": 25,  # shown per endpoint
    }
    subscriptions = {topic: "webhook_service.handle" for topic in TOPICS}
    # Sending is a background task: the order that caused it never waits on someone else's server.
    tasks = {"deliver": "webhook_service.deliver"}
    nav = (NavEntry(gettext_lazy("Webhooks"), "webhooks:list", signed_in=True, order=45),)

    def initialize(self) -> bool:
        from marketplace.webhooks.models import WebhookEndpoint

        self.container.webhook_service()  # refuses a configuration it cannot work with
        WebhookEndpoint.objects.exists()
        return True

    def health_checks(self):
        return {"deliveries": self._deliveries}

    def _deliveries(self) -> dict:
        """Figures only, never DOWN: a failing delivery is most often the receiver's own outage,
        which says nothing about the marketplace's health."""
        return self.container.webhook_service().figures()
