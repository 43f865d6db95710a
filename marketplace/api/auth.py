"""Who is calling: a personal access token (``Authorization: Bearer mkt_…``) or the site's session.

``scoped("orders:write")`` is the ``auth=`` of an operation: a token must carry that scope; a
session (the site's own pages, with CSRF on unsafe methods) acts with every scope of its user.
A token that is presented but not valid is refused outright (401): it never falls back to the
session or to anonymous access.
"""

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from marketplace.client_ip import client_ip
from services.api_service import ApiService, Principal
from services.errors import InvalidToken

API = Provide["api.api_service"]
ANONYMOUS = Principal(user_id=0, scopes=frozenset())


@inject
def _service(service: ApiService = API) -> ApiService:
    return service


class Token(HttpBearer):
    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if header and not header.lower().startswith("bearer "):
            raise InvalidToken(_("Only bearer tokens are accepted: Authorization: Bearer mkt_…"))
        return super().__call__(request)

    def authenticate(self, request, token: str):
        principal = _service().authenticate(secret=token.strip(), address=client_ip(request))
        principal.require(self.scope)
        request.principal = principal
        return principal


class Session(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        key = request.COOKIES.get(self.param_name)
        # CSRF only matters when there is a session to ride on.
        if key and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")
        return key

    def authenticate(self, request, key):
        if not key or not request.user.is_authenticated:
            return None
        principal = _service().session_principal(user_id=request.user.pk)
        request.principal = principal
        return principal


def anonymous(request):
    request.principal = ANONYMOUS
    return ANONYMOUS


def scoped(scope: str, *, public: bool = False) -> list:
    """``auth=`` for an operation that needs ``scope`` (and with ``public``, anyone may call it)."""
    chain = [Token(scope), Session()]
    return [*chain, anonymous] if public else chain


def principal(request) -> Principal:
    return request.principal
