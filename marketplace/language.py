"""Choosing the site's language with a plain link: ``/language/de/?next=/products/``.

Django's ``set_language`` takes a POST with a CSRF token, which the pages kept whole in the page
cache for visitors cannot carry. Changing one's own display language is harmless to be tricked
into, so a GET that sets the cookie and goes back is enough; ``next`` must be this site's.
A signed-in person's choice is also kept on their account, for what is written to them later.
"""

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
@inject
def choose(request, code: str, user_service=Provide["accounts.user_service"]):
    if code not in dict(settings.LANGUAGES):
        raise Http404("no such language")
    # Left unwired (still the marker) when the accounts module is off: nobody signs in on the site then.
    if request.user.is_authenticated and not isinstance(user_service, Provide):
        user_service.set_language(user_id=request.user.pk, language=code)
    target = request.GET.get("next", "")
    here = {request.get_host()}
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=here, require_https=request.is_secure()):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
