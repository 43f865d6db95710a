"""The root URLconf: fixed pages, then one include per enabled module (namespaced by its name)."""

from django.contrib import admin
from django.urls import include, path

from containers import runtime
from marketplace import views
from marketplace.ops import views as ops_views


def module_urls() -> list:
    patterns = []
    for record in runtime.modules:
        module = record.module
        if module.urls and module.url_prefix is not None:
            patterns.append(path(module.url_prefix, include((module.urls, module.name), namespace=module.name)))
    return patterns


urlpatterns = [
    path("", views.home, name="home"),
    path("health/live", ops_views.live, name="health-live"),
    path("health/ready", ops_views.ready, name="health-ready"),
    path("health/", ops_views.health, name="health"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("ops/", include("marketplace.ops.urls")),
    path("admin/", admin.site.urls),
    *module_urls(),
]
