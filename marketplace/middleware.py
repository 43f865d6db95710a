"""Request-level plumbing: a request id, modules started on first use, 503 for a module that is down."""

from django.template.response import TemplateResponse
from django.utils.cache import cc_delim_re, patch_cache_control

from marketplace.logging import bind_request_id


class RequestIdMiddleware:
    """Takes ``X-Request-ID`` (or makes one), puts it on every log line and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with bind_request_id(request.headers.get("X-Request-ID")) as request_id:
            request.request_id = request_id
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            return response


class PrivatePagesMiddleware:
    """A page rendered for a signed-in person is theirs alone: no shared or browser cache keeps it.

    Every answer to them, redirects and refusals too, except one its view declared ``public``:
    the same bytes for everyone (a listed product's picture), which browsers may keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _declared_public(response):
            patch_cache_control(response, private=True, no_store=True, no_cache=True, max_age=0)
        return response


def _declared_public(response) -> bool:
    return "public" in {part.strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", ""))}


class ModuleAvailabilityMiddleware:
    """A module that failed (or whose dependency failed) answers 503 on its pages; the rest serve."""

    def __init__(self, get_response):
        from containers import runtime

        self.get_response = get_response
        self.runtime = runtime

    def __call__(self, request):
        self.runtime.ensure_started()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = match.namespaces[0] if match and match.namespaces else None
        if name is None or name not in self.runtime.modules or self.runtime.modules.is_ready(name):
            return None
        record = self.runtime.modules.record(name)
        response = TemplateResponse(
            request,
            "503.html",
            {
                "module_name": name,
                "module_state": str(record.state),
                "blocked_by": record.blocked_by,
            },
            status=503,
        )
        response["Retry-After"] = "30"
        return response
