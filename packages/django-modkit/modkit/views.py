"""Health pages of a project that runs modkit alone (see ``standalone``)."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from modkit.current import active
from modkit.health import Status


@never_cache
def live(request):
    """The process answers: nothing else is checked."""
    return JsonResponse({"status": str(Status.UP)})


@never_cache
def ready(request):
    """503 until every enabled module has started."""
    runtime = active()
    states = runtime.modules.states()
    serving = all(state == "ready" for state in states.values())
    return JsonResponse(
        {"status": str(Status.UP if serving else Status.DOWN), "modules": states}, status=200 if serving else 503
    )


@never_cache
def health(request):
    """Each module's own checks; 503 when the system is DOWN."""
    report = active().health()
    return JsonResponse(report, status=503 if report["status"] == str(Status.DOWN) else 200)
