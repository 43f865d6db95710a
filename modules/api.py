"""API: the JSON face of the marketplace at /api/v1/, and the personal access tokens it takes.

The routes are the other modules': each names its ninja router (``api = "...:router"``) and
this module mounts those of the enabled modules, with one error shape, rate limits and tokens.
"""

from dependency_injector import containers, providers
from modkit import BaseModule, module

from services.api_replays import ApiReplays
from services.api_service import ApiService


class ApiContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()

    api_service = providers.Factory(
        ApiService,
        clock=core.clock,
        max_tokens=config.max_tokens.as_int(),
        touch_seconds=config.touch_seconds.as_int(),
        max_days=config.max_token_days.as_int(),
    )
    api_replays = providers.Factory(ApiReplays, clock=core.clock, keep_hours=config.replay_hours.as_int())


@module(
    name="api",
    version="1.0.0",
    description="The JSON API at /api/v1/ with an OpenAPI description, and personal access tokens with scopes",
    author="Marketplace team",
    dependencies=["accounts>=1.0"],
)
class ApiModule(BaseModule):
    container_class = ApiContainer
    apps = ("marketplace.api",)
    urls = "marketplace.api.urls"
    url_prefix = "api/"
    wire = ("marketplace.api.views", "marketplace.api.auth", "marketplace.api.idempotency")
    page_parts = {"accounts.profile": "api/_profile_card.html"}

    def initialize(self) -> bool:
        from marketplace.api.models import ApiToken

        self.container.api_service()
        ApiToken.objects.exists()
        return True
