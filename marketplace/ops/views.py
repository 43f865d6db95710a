"""Health, metrics and the staff ops page.

Liveness never touches the database; readiness answers 503 when not ready; ``/metrics`` speaks
Prometheus text; the ops page shows and reloads the system (staff only, POST with CSRF after a
confirmation step).
"""

import hmac

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from prometheus_client.exposition import choose_encoder

from containers import ApplicationContainer
from containers.metrics import TaskFigures, exposition_registry
from marketplace.access import second_factor_done, staff_access, staff_required
from marketplace.ops.graph import layout
from services.errors import NotFound, ServiceError
from services.staff_access import Capability

HEALTH = Provide[ApplicationContainer.core.health_service]
OPS = Provide[ApplicationContainer.ops.ops_service]
TASKS = Provide[ApplicationContainer.core.task_service]


@never_cache
@require_GET
@inject
def live(request, health=HEALTH):
    return JsonResponse(health.liveness())


@never_cache
@require_GET
@inject
def ready(request, health=HEALTH):
    report = health.readiness()
    status = 503 if report["status"] == "DOWN" else 200
    return JsonResponse({"status": report["status"]}, status=status)


@never_cache
@require_GET
@inject
def health(request, health=HEALTH):
    report = health.system()
    status = 503 if report["status"] == "DOWN" else 200
    if _operator_session(request):
        return JsonResponse(report, status=status)
    return JsonResponse({"status": report["status"]}, status=status)


def _operator_session(request) -> bool:
    """An operator signed in with their second factor, as on every staff page (marketplace/access.py)."""
    user = request.user
    return user.is_authenticated and staff_access().can(user, Capability.OPERATE) and second_factor_done(request)


def _metrics_allowed(request) -> bool:
    if getattr(settings, "METRICS_PUBLIC", False):
        return True
    token = getattr(settings, "METRICS_TOKEN", "") or ""
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), token.encode())
    return _operator_session(request)


@never_cache
@require_GET
@inject
def metrics(request, tasks=TASKS):
    """Prometheus text; every gunicorn worker's figures summed (multiprocess mode)."""
    if not _metrics_allowed(request):
        response = HttpResponse(
            "Metrics need an operator's session or a bearer token.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # The text format Prometheus asks for in Accept (OpenMetrics, or the classic 0.0.4 text).
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(exposition_registry(TaskFigures(tasks.figures))), content_type=content_type)


@never_cache
@require_GET
@staff_required(Capability.OPERATE)
@inject
def index(request, ops=OPS):
    modules = ops.modules()
    graph = layout(
        [
            {
                "name": m["name"],
                "version": m["version"],
                "state": m["state"],
                "dependency_names": m["dependency_names"],
            }
            for m in modules
        ]
    )
    figures = ops.metrics()
    context = {
        "health": ops.health(),
        "modules": modules,
        "graph": graph,
        "figures": figures,
        "top_views": sorted(figures["requests"]["by_view"].values(), key=lambda row: row["count"], reverse=True)[:8],
        "services": ops.service_rows(figures),
        "cluster": ops.workers(),
        "reloads": ops.recent_reloads(limit=15),
        "targets": ops.reload_targets(),
        "tasks": ops.tasks(),
    }
    return render(request, "ops/index.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required(Capability.OPERATE)
@inject
def reload(request, kind: str, name: str, ops=OPS):
    """GET: what will be reloaded, and a button; POST (CSRF, ``confirm``): do it everywhere."""
    try:
        target = ops.reload_target(kind=kind, name=name)
    except NotFound as error:
        raise Http404(error.message) from None
    cluster = ops.workers()
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "ops/confirm.html",
                {"target": target, "cluster": cluster, "error": "Tick the confirmation first."},
                status=400,
            )
        try:
            outcome = ops.reload(kind=kind, name=name, user=request.user, via="page")
        except ServiceError as error:
            return render(
                request, "ops/confirm.html", {"target": target, "cluster": cluster, "error": error.message}, status=400
            )
        if outcome.ok:
            messages.success(request, f"{kind.capitalize()} {name} reloaded on {len(outcome.results)} worker(s).")
        else:
            messages.error(
                request,
                f"{kind.capitalize()} {name} was not reloaded everywhere: {outcome.error}. "
                "Workers that refused it keep serving the previous version.",
            )
        return redirect("ops:reload-detail", reload_id=outcome.reload_id)
    return render(request, "ops/confirm.html", {"target": target, "cluster": cluster})


@never_cache
@require_http_methods(["POST"])
@staff_required(Capability.OPERATE)
@inject
def retry_task(request, run_id: str, ops=OPS):
    """POST (CSRF): send a task that failed for good again, from the ops page's list."""
    try:
        ops.retry_task(run_id=run_id, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The task was sent again.")
    return redirect(f"{reverse('ops:index')}#tasks")


@never_cache
@require_GET
@staff_required(Capability.OPERATE)
@inject
def reload_detail(request, reload_id: str, ops=OPS):
    try:
        entry = ops.get_reload(reload_id=reload_id)
    except NotFound as error:
        raise Http404(error.message) from None
    return render(request, "ops/reload_detail.html", {"entry": entry})
