"""``/csp-report/``: what browsers say our Content-Security-Policy blocked, one log line each.

Anyone can post here, so nothing posted is trusted: the body is read only up to a small size,
every value is cut short and flattened to one line, and the answer is 204 whatever came (a
browser does nothing with it, and a sender learns nothing). The ``marketplace.csp`` logger has a
budget (``LOGGING_BUDGETS`` in the settings), so a flood of reports cannot flood the log.
"""

import json
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

log = logging.getLogger("marketplace.csp")

REPORT_MAX_BYTES = 16 * 1024
REPORTS_PER_REQUEST = 10
VALUE_MAX = 300

# The classic ``report-uri`` body names fields in kebab-case; the Reporting API's (``report-to``)
# in camelCase: each field here with both names.
FIELDS = (
    ("document", "document-uri", "documentURL"),
    ("directive", "effective-directive", "effectiveDirective"),
    ("blocked", "blocked-uri", "blockedURL"),
    ("source", "source-file", "sourceFile"),
    ("line", "line-number", "lineNumber"),
    ("sample", "script-sample", "sample"),
    ("disposition", "disposition", "disposition"),
)


@csrf_exempt
@require_POST
def report(request):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= REPORT_MAX_BYTES:
        log.warning("CSP report ignored: a body of %s bytes (1 to %d expected)", length, REPORT_MAX_BYTES)
        return HttpResponse(status=204)
    reports = _reports(request.body)
    if not reports:
        log.warning("CSP report ignored: not a report (%d bytes)", length)
    for fields in reports[:REPORTS_PER_REQUEST]:
        log.warning(
            "CSP violation: %s", " ".join(f"{name}={value}" for name, value in fields.items()), extra={"csp": fields}
        )
    return HttpResponse(status=204)


def _reports(body: bytes) -> list[dict[str, str]]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past reason
        return []
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        raw = [data["csp-report"]]
    elif isinstance(data, list):
        raw = [item.get("body") for item in data if isinstance(item, dict) and item.get("type") == "csp-violation"]
    else:
        raw = []
    return [fields for fields in (_fields(item) for item in raw if isinstance(item, dict)) if fields]


def _fields(item: dict) -> dict[str, str]:
    fields = {}
    for name, classic, reporting_api in FIELDS:
        value = item.get(classic, item.get(reporting_api))
        if value not in (None, ""):
            fields[name] = _clean(value)
    return fields


def _clean(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)[:VALUE_MAX]
    text = "".join(c if c.isprintable() else "?" for c in text[:VALUE_MAX])
    return text.replace(" ", "%20")  # keeps ``name=value`` pairs apart on the one line
