"""One error shape for every refusal: ``{"error": {"code", "message", "field", "fields"}}``.

Service refusals are translated here once, by class, the way the pages translate them
(marketplace/vendors/responses.py): 404 for what the caller may not know exists, 403 for what
they may not do, 409 for a state that changed under them, 422 for fields at fault, 400 otherwise.
"""

import logging
import re

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from services.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidToken,
    NotFound,
    PermissionDenied,
    ServiceError,
    ServiceUnavailable,
)

log = logging.getLogger("marketplace.api")


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorDetail


LOCATIONS = ("body", "query", "path", "header", "cookie", "file", "form")
# 503: a module the operation needs is disabled or failed, or storage is down (ServiceUnavailable).
ERROR_CODES = (400, 401, 403, 404, 409, 413, 422, 429, 503)


def documented(ok: dict | type, *codes: int) -> dict:
    """An operation's responses: what it answers when it succeeds, and the error shape for the rest."""
    answers = dict(ok) if isinstance(ok, dict) else {200: ok}
    for code in codes or ERROR_CODES:
        answers.setdefault(code, ErrorOut)
    return answers


def body(code: str, message: str, *, field: str | None = None, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field, "fields": fields or {}}}


def code_of(error: Exception) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


def payload_of(error: ServiceError) -> dict:
    field = error.field or next(iter(error.errors), None)
    return body(code_of(error), error.message, field=field, fields=error.errors)


def status_of(error: ServiceError) -> int:
    if isinstance(error, InvalidToken):
        return 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, Conflict | IdempotencyConflict):
        return 409
    if isinstance(error, ServiceUnavailable):
        return 503
    return 422 if error.errors else 400


def install(api) -> None:
    """Every refusal the API can make, in the one shape."""

    def answer(request, status: int, payload: dict, **headers):
        response = api.create_response(request, payload, status=status)
        for name, value in headers.items():
            response[name.replace("_", "-")] = value
        return response

    @api.exception_handler(ServiceError)
    def service_error(request, exc: ServiceError):
        status = status_of(exc)
        headers = {"WWW_Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
        if getattr(exc, "retry_after", None):
            headers["Retry_After"] = str(exc.retry_after)
        return answer(request, status, payload_of(exc), **headers)

    @api.exception_handler(ValidationError)
    def invalid(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for item in exc.errors:
            # ("query", "page"), ("header", "Idempotency-Key"), ("body", "<parameter>", "quantity").
            names = [str(part) for part in item.get("loc", ())]
            if names[:1] == ["body"] and len(names) > 2:
                names = names[2:]
            elif names[:1] and names[0] in LOCATIONS:
                names = names[1:]
            fields.setdefault(".".join(names) or "request", []).append(item.get("msg", "is not valid"))
        first = next(iter(fields))
        return answer(request, 422, body("invalid", f"{first}: {fields[first][0]}", field=first, fields=fields))

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        wait = max(1, int((exc.wait or 1) + 0.999))
        message = _("Too many requests: try again in %(seconds)s s.") % {"seconds": wait}
        return answer(request, 429, body("throttled", message), Retry_After=str(wait))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        message = _("Send a token (Authorization: Bearer mkt_…) or sign in.")
        return answer(request, 401, body("not_authenticated", message), WWW_Authenticate="Bearer")

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        code = "csrf_failed" if "CSRF" in str(exc) else "refused"
        return answer(request, exc.status_code, body(code, str(exc)))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return answer(request, 404, body("not_found", _("There is no such thing here.")))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return answer(request, 413, body("too_large", _("The request body is too large.")))

    @api.exception_handler(MultiPartParserError)
    def unreadable_multipart(request, exc):
        # A multipart Content-Type without a boundary, or a body cut short: the caller's to fix.
        return answer(request, 400, body("malformed", f"The multipart body cannot be read: {exc}"))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, exc):
        # Django answers these 400 on its pages (too many fields or files in a form, ...).
        return answer(request, 400, body("malformed", _("The request was refused: it is malformed or too large.")))

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        # Logged with its traceback (and counted by the error reporting the pages use); the
        # caller gets the shape, never a stack trace.
        log.exception("API error on %s %s", request.method, request.path)
        return answer(request, 500, body("server_error", _("Something went wrong on our side; it was logged.")))
