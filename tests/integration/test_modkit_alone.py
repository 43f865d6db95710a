"""modkit on its own: pip-installed into a fresh virtual environment, used by a fresh Django project.

The project is what ``django-admin startproject`` writes, plus one module of its own whose service
lives in the project's own ``services/`` package (a name the marketplace uses too, so a package
that leaked it into site-packages would shadow it), enabled by one app and one setting.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.projects import ROOT
from tests.support.servers import RedisServer, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

MODULE = """
from dependency_injector import containers, providers

from modkit import BaseModule, module
from services.catalog_service import CatalogService


class CatalogContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    catalog_service = providers.Singleton(CatalogService, shop_name=config.shop_name)


@module(name="catalog", version="1.2.0", description="The shop's catalogue")
class CatalogModule(BaseModule):
    container_class = CatalogContainer
    urls = "catalog.urls"
    url_prefix = "catalog/"
    wire = ("catalog.views",)

    def health_checks(self):
        return {"titles": lambda: {"count": len(self.container.catalog_service().titles())}}
"""

SERVICE = """
class CatalogService:
    def __init__(self, shop_name: str):
        self.shop_name = shop_name

    def titles(self) -> list[str]:
        return ["Dune", "Solaris"]
"""

VIEWS = """
from dependency_injector.wiring import Provide, inject
from django.http import HttpResponse

from services.catalog_service import CatalogService


@inject
def index(request, catalog: CatalogService = Provide["catalog.catalog_service"]):
    return HttpResponse(f"{catalog.shop_name}: " + ", ".join(catalog.titles()))
"""

URLS = """
from django.urls import path

from catalog import views

urlpatterns = [path("", views.index, name="index")]
"""

# A module installed with pip, found by its entry point; it needs the project's catalog module,
# whose container fills its ``catalog`` needs by name.
SHELF_PYPROJECT = """
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "shelf-module"
version = "2.0.0"
dependencies = ["django-modkit"]

[project.entry-points."modkit.modules"]
shelf = "shelf.module:ShelfModule"
"""

SHELF = """
from dependency_injector import containers, providers
from django.http import HttpResponse
from django.urls import path

from modkit import BaseModule, module


class Shelf:
    def __init__(self, catalog):
        self.catalog = catalog

    def first(self) -> str:
        return self.catalog.titles()[0]


class ShelfContainer(containers.DeclarativeContainer):
    catalog = providers.DependenciesContainer()
    shelf = providers.Factory(Shelf, catalog=catalog.catalog_service)


@module(name="shelf", version="2.0.0", dependencies=["catalog>=1.1,<2"])
class ShelfModule(BaseModule):
    container_class = ShelfContainer
    urls = "shelf.module"
    url_prefix = "shelf/"


def first(request):
    from modkit.current import active

    return HttpResponse(active().module_container("shelf").shelf().first())


urlpatterns = [path("", first)]
"""

SETTINGS = """
import os

REDIS_URL = os.environ.get("REDIS_URL")  # for the cluster-wide reload, when set
MODKIT_CLUSTER = {"heartbeat_seconds": 0.5}
INSTALLED_APPS += ["modkit"]
MODKIT_MODULES = ["catalog.module.CatalogModule", "shelf"]
MODKIT_CONFIG = {"catalog": {"shop_name": "Corner Books"}}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
"""


# Nothing of this suite's own environment (its settings module, its path) reaches the project.
CLEAN_ENV = {
    k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHONPATH", "DATABASE_URL", "REDIS_URL"))
}


def _run(*args, cwd, timeout=600):
    done = subprocess.run(args, cwd=cwd, env=CLEAN_ENV, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    base = tmp_path_factory.mktemp("modkit-alone")
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", str(venv), cwd=base)
    python = venv / "bin" / "python"
    # A wheel, not an editable install: what a user of the published package would get.
    _run(str(python), "-m", "pip", "install", "--quiet", str(ROOT / "packages" / "django-modkit"), cwd=base)
    shelf = base / "shelf-module"
    (shelf / "shelf").mkdir(parents=True)
    (shelf / "pyproject.toml").write_text(SHELF_PYPROJECT)
    (shelf / "shelf" / "__init__.py").write_text("")
    (shelf / "shelf" / "module.py").write_text(SHELF)
    _run(str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(shelf), cwd=base)
    site = Path(_run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base).strip())

    project = base / "project"
    project.mkdir()
    _run(str(venv / "bin" / "django-admin"), "startproject", "hostsite", str(project), cwd=base)
    (project / "services").mkdir()
    (project / "services" / "__init__.py").write_text("")
    (project / "services" / "catalog_service.py").write_text(SERVICE)
    (project / "catalog").mkdir()
    (project / "catalog" / "__init__.py").write_text("")
    (project / "catalog" / "module.py").write_text(MODULE)
    (project / "catalog" / "views.py").write_text(VIEWS)
    (project / "catalog" / "urls.py").write_text(URLS)
    settings = project / "hostsite" / "settings.py"
    settings.write_text(settings.read_text() + SETTINGS)
    _run(str(python), "manage.py", "migrate", "--noinput", "-v0", cwd=project)

    port = _free_port()
    server = subprocess.Popen(
        [str(python), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env=CLEAN_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/modkit/health/live", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(server.stdout.read())
                time.sleep(0.1)
        else:
            pytest.fail("the project's server did not answer /modkit/health/live")
        yield {"url": url, "site": site, "python": python, "project": project}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_site_packages_holds_only_the_package_name(host):
    installed = {p.name for p in host["site"].iterdir()}
    assert "modkit" in installed
    assert not installed & {"services", "modules", "containers", "marketplace", "core"}
    (dist_info,) = host["site"].glob("django_modkit-*.dist-info")
    recorded = {line.split(",", 1)[0].split("/", 1)[0] for line in (dist_info / "RECORD").read_text().splitlines()}
    assert recorded == {"modkit", dist_info.name}


def test_a_module_installed_with_pip_is_enabled_by_its_name(host):
    status, body = _get(f"{host['url']}/shelf/")
    assert (status, body) == (200, "Dune")
    ready = json.loads(_get(f"{host['url']}/modkit/health/ready")[1])
    assert ready["modules"] == {"catalog": "ready", "shelf": "ready"}


def test_an_injected_view_serves_the_projects_own_service(host):
    status, body = _get(f"{host['url']}/catalog/")
    assert (status, body) == (200, "Corner Books: Dune, Solaris")


def test_the_projects_own_404_page_is_served(host):
    # The project has no 404.html: Django's own page, unless an installed app's templates shadow it.
    status, body = _get(f"{host['url']}/no-such-page/")
    assert status == 404
    assert "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>" in body


def test_health_reports_the_module_and_its_check(host):
    status, body = _get(f"{host['url']}/modkit/health/")
    report = json.loads(body)
    assert status == 200, report
    assert report["status"] == "UP"
    assert report["modules"]["catalog"]["version"] == "1.2.0"
    assert report["modules"]["catalog"]["checks"]["titles"]["detail"] == {"count": 2}
    assert report["modules"]["shelf"]["status"] == "UP"


def test_the_project_runs_without_the_marketplace(host):
    probe = "import importlib.util as u; print([m for m in ('marketplace', 'containers') if u.find_spec(m)])"
    assert _run(str(host["python"]), "-c", probe, cwd=host["project"].parent).strip() == "[]"


def test_redis_url_without_the_redis_package_is_a_clear_error_at_start(host):
    done = subprocess.run(
        [str(host["python"]), "manage.py", "check"],
        cwd=host["project"],
        env={**CLEAN_ENV, "REDIS_URL": "redis://127.0.0.1:1/0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "pip install 'django-modkit[cluster]'" in done.stderr


def test_a_reload_reaches_every_serving_process_through_redis(host):
    """Two servers of the project and one Redis: the command's reload is applied by both."""
    import redis

    package = ROOT / "packages" / "django-modkit"
    _run(str(host["python"]), "-m", "pip", "install", "--quiet", f"{package}[cluster]", cwd=host["project"])
    server = RedisServer().start()
    env = {**CLEAN_ENV, "REDIS_URL": server.url}
    workers = []
    try:
        for _ in range(2):
            port = _free_port()
            workers.append(
                subprocess.Popen(
                    [str(host["python"]), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                    cwd=host["project"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            # The first request starts the modules and the process's listener.
            wait_for(lambda port=port: _get(f"http://127.0.0.1:{port}/catalog/")[0] == 200, what="runserver")
        presence = redis.Redis.from_url(server.url)
        wait_for(lambda: presence.hlen("modkit:0:workers") == 2, timeout=10, what="two workers present")
        done = subprocess.run(
            [str(host["python"]), "manage.py", "reload_module", "catalog"],
            cwd=host["project"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "reload module catalog: ok; 2/2 worker(s) applied it" in done.stdout
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)
        server.stop()
