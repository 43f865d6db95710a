"""The root URLconf: fixed pages, then one include per enabled module (namespaced by its name)."""

from django.contrib import admin
from django.urls import include, path
from modkit.urls import module_patterns

from containers import runtime
from marketplace import csp_reports, language, views
from marketplace.accounts.admin_site import MarketplaceAdminSite
from marketplace.design import views as design_views
from marketplace.ops import views as ops_views

# The admin needs a session verified by a second factor, and sends staff without one to set it
# up. The default site is re-classed in place (not replaced) so that every ModelAdmin already
# registered with it stays registered.
admin.site.__class__ = MarketplaceAdminSite


urlpatterns = [
    path("", views.home, name="home"),
    # Asked for at the root by browsers whatever the page says (the page links the SVG and the manifest).
    path("favicon.ico", views.favicon, name="favicon"),
    path("apple-touch-icon.png", views.apple_touch_icon, name="apple-touch-icon"),
    path("health/live", ops_views.live, name="health-live"),
    path("health/ready", ops_views.ready, name="health-ready"),
    path("health/", ops_views.health, name="health"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("ops/", include("marketplace.ops.urls")),
    path("design/", design_views.components, name="design"),
    path("language/<str:code>/", language.choose, name="language"),
    path("csp-report/", csp_reports.report, name="csp-report"),
    path("admin/", admin.site.urls),
    *module_patterns(runtime),
]
