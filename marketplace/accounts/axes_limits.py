"""How django-axes counts failed sign-ins here (settings: ``AXES_*`` in marketplace/settings/base.py).

Two lockout groups: one (username, client address) pair, locked after ``AXES_FAILURE_LIMIT``
failures, so that guessing a person's password from one place never locks them out from
another; and the client address alone, locked after the higher
``MARKETPLACE_LOGIN_ADDRESS_LIMIT``, so that one place cannot try many names. Axes compares one
failure count with one limit, taking the largest count over the groups; ``get_failures``
therefore states the address count in units of the pair limit. A successful sign-in clears its
own pair only: the address keeps the failures made there under other names.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_message, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from marketplace.client_ip import client_ip

USERNAME_MAX = 150
# Requests whose address cannot be read share one bucket: stricter, never unthrottled.
UNKNOWN_ADDRESS = "0.0.0.0"


def _address_only(group) -> bool:
    names = [group] if isinstance(group, str) else list(group)
    return names == ["ip_address"]


class SignInAttempts(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        pair_limit = get_failure_limit(request, credentials)
        address_limit = max(int(settings.MARKETPLACE_LOGIN_ADDRESS_LIMIT), pair_limit)
        groups = get_lockout_parameters(request, credentials)
        worst = 0
        for group, attempts in zip(groups, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if _address_only(group):
                # address_limit failures here weigh as much as pair_limit failures of a pair.
                failures = failures * pair_limit // address_limit
            worst = max(worst, failures)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        groups = get_lockout_parameters(request, credentials)
        count = 0
        for group, attempts in zip(groups, self.filter_user_attempts(request, credentials), strict=True):
            if not _address_only(group):
                count += attempts.delete()[0]
        return count


def client_address(request) -> str:
    return client_ip(request) or UNKNOWN_ADDRESS


def username_key(request, credentials) -> str | None:
    """One counter per person whatever the case typed (usernames are unique regardless of case)."""
    if credentials is not None:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username")
    if raw is None:
        return None
    return str(raw).replace("\0", "").strip().casefold()[:USERNAME_MAX]


def lockout_response(request, original_response=None, credentials=None):
    """A 429 with Retry-After; the site's own pages already rendered theirs, the admin gets axes' text."""
    seconds = int(get_cool_off(request).total_seconds())
    if isinstance(original_response, HttpResponseBase) and original_response.status_code == 429:
        response = original_response
    elif request.path.startswith(reverse("admin:index")):
        response = HttpResponse(get_lockout_message(), status=429, content_type="text/plain; charset=utf-8")
    else:
        response = render(request, "accounts/locked_out.html", {"retry_after": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response
