"""The runtime of a project that uses modkit alone: settings in, a booted runtime out.

A project enables modules with two settings and one app::

    INSTALLED_APPS = [..., "modkit"]
    MODKIT_MODULES = ["catalog.module.CatalogModule"]
    MODKIT_CONFIG = {"catalog": {"page_size": 20}}      # optional, one section per module

Each module's pages are added to the project's root URLconf under the module's ``url_prefix``,
and ``health/`` pages under ``MODKIT_HEALTH_PREFIX`` (``modkit/`` unless set).
"""

import copy
import importlib

from dependency_injector import containers, providers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_started
from django.urls import clear_url_caches, path

from modkit.runtime import Runtime
from modkit.urls import module_patterns


def load_settings(source=None) -> dict:
    """``MODKIT_CONFIG`` plus ``modules`` from ``MODKIT_MODULES``; read again at each reload."""
    source = source or settings
    config = copy.deepcopy(getattr(source, "MODKIT_CONFIG", {}) or {})
    modules = getattr(source, "MODKIT_MODULES", None)
    if not isinstance(modules, list | tuple) or not modules:
        raise ImproperlyConfigured("MODKIT_MODULES must be a non-empty list of module classes")
    config["modules"] = list(modules)
    config.setdefault("services", {})
    return config


class ApplicationContainer(containers.DynamicContainer):
    """Starts with ``config`` only; the runtime adds one container per enabled module."""

    def __init__(self):
        super().__init__()
        self.config = providers.Configuration()


def build() -> Runtime:
    from importlib.util import find_spec

    from modkit.cluster import Cluster, ClusterOptions

    runtime = Runtime(ApplicationContainer(), load_config=load_settings)
    # Reloads reach every serving process through Redis when REDIS_URL is set (MODKIT_CLUSTER tunes it).
    options = ClusterOptions.from_settings()
    if options.redis_url and find_spec("redis") is None:
        raise ImproperlyConfigured(
            "REDIS_URL is set, and the cluster-wide reload needs the redis package: "
            "pip install 'django-modkit[cluster]' (or leave REDIS_URL unset)"
        )
    runtime.cluster = Cluster(runtime, options=lambda: options)
    return runtime


def mount(runtime: Runtime) -> None:
    """Add the modules' pages and the health pages to the project's root URLconf."""
    from modkit import views

    urlconf = importlib.import_module(settings.ROOT_URLCONF)
    prefix = getattr(settings, "MODKIT_HEALTH_PREFIX", "modkit/")
    urlconf.urlpatterns = [
        *urlconf.urlpatterns,
        *module_patterns(runtime),
        path(f"{prefix}health/live", views.live, name="modkit-health-live"),
        path(f"{prefix}health/ready", views.ready, name="modkit-health-ready"),
        path(f"{prefix}health/", views.health, name="modkit-health"),
    ]
    clear_url_caches()


def start_on_first_request(runtime: Runtime) -> None:
    """Modules may touch the database in ``initialize()``: run them when serving begins."""

    def started(**_):
        runtime.ensure_started()
        if runtime.cluster is not None:
            runtime.cluster.start_listener()  # idempotent; no-op without REDIS_URL

    request_started.connect(started, weak=False, dispatch_uid="modkit-start")
