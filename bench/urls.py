from django.http import HttpResponse
from django.urls import path

from marketplace.urls import urlpatterns as marketplace_urlpatterns


def minimal(request):
    """The floor: Django's full middleware stack and nothing else."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal", minimal), *marketplace_urlpatterns]
