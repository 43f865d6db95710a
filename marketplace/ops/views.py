"""Health endpoints: liveness never touches the database; readiness answers 503 when not ready."""

from dependency_injector.wiring import Provide, inject
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from containers import ApplicationContainer

HEALTH = Provide[ApplicationContainer.core.health_service]


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
    if request.user.is_authenticated and request.user.is_staff:
        return JsonResponse(report, status=status)
    return JsonResponse({"status": report["status"]}, status=status)
