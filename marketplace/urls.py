"""The root URLconf: fixed pages, then one include per enabled module (namespaced by its name)."""

from django.contrib import admin
from django.urls import include, path

from containers import runtime
from marketplace import csp_reports, views
from marketplace.accounts.admin_site import MarketplaceAdminSite
from marketplace.design import views as design_views
from marketplace.ops import views as ops_views

# The admin needs a session verified by a second factor, and sends staff without one to set it
# up. The default site is re-classed in place (not replaced) so that every ModelAdmin already
# registered with it stays registered.
admin.site.__class__ = MarketplaceAdminSite


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
    path("design/", design_views.components, name="design"),
    path("csp-report/", csp_reports.report, name="csp-report"),
    path("admin/", admin.site.urls),
    *module_urls(),
]
