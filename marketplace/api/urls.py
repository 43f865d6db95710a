"""/api/v1/ (the API, its OpenAPI description and docs) and /api/tokens/ (the owner's page)."""

from django.urls import include, path, re_path

from containers import runtime
from marketplace.api import views
from marketplace.api.site import build, patterns

urlpatterns = [
    path("v1/", include(patterns(build(runtime)))),
    re_path(r"^v1/", views.no_such_route),  # a JSON 404 in the one error shape, not the HTML page
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="revoke-token"),
]
