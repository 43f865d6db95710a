"""Personal access tokens for the JSON API: created with scopes, shown once, kept as a digest.

A token is ``mkt_`` and 43 random URL-safe characters (256 bits), so a plain SHA-256 digest is
enough to store it: there is nothing to guess that a slow hash would protect.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from services.errors import InsufficientScope, InvalidToken, NotFound, TokenError

PREFIX = "mkt_"
SHOWN_CHARS = 12  # "mkt_" and 8 characters: enough to tell tokens apart, far too few to guess one

# Marked, not translated here: the codes are the API's; the forms show each text translated.
SCOPES: dict[str, str] = {
    "catalog:read": gettext_noop("Read the catalog: products, categories and shops"),
    "orders:read": gettext_noop("Read your cart, your orders, their events and messages"),
    "orders:write": gettext_noop("Change your cart, check out, confirm, dispute and write on your orders"),
    "wallet:read": gettext_noop("Read your balance, history and deposit address"),
    "wallet:withdraw": gettext_noop("Request and cancel withdrawals"),
    "vendor:read": gettext_noop("Read your shop's products and order queue"),
    "vendor:write": gettext_noop("Change your shop's products and accept, decline and ship its orders"),
}


@dataclass(frozen=True)
class Principal:
    """Who calls the API, and what this call may do on their behalf."""

    user_id: int
    scopes: frozenset[str]
    token_id: int | None = None  # None: the site's own pages, by session

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise InsufficientScope(_("This token does not have the %(scope)s scope.") % {"scope": scope}, scope=scope)


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None


@dataclass(frozen=True)
class IssuedToken:
    token: TokenRow
    secret: str  # the only time anyone sees it


def _models():
    from marketplace.api.models import ApiToken

    return ApiToken


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _row(token) -> TokenRow:
    return TokenRow(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        scopes=tuple(token.scopes),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        last_used_ip=token.last_used_ip,
    )


class ApiService:
    def __init__(self, *, clock, max_tokens: int, touch_seconds: int, max_days: int):
        self.clock = clock
        self.max_tokens = max_tokens
        # Last use is written at most this often per token: a busy token costs no write per request.
        self.touch_seconds = touch_seconds
        self.max_days = max_days

    def scopes(self) -> dict[str, str]:
        return dict(SCOPES)

    def create_token(self, *, user_id: int, name: str, scopes, expires_in_days: int | None = None) -> IssuedToken:
        ApiToken = _models()
        name = (name or "").strip()
        errors: dict[str, list[str]] = {}
        if not name or len(name) > 60 or not name.isprintable():
            errors["name"] = [_("Give the token a name of 1 to 60 characters, so you know what uses it.")]
        chosen = sorted(set(scopes or ()))
        unknown = [scope for scope in chosen if scope not in SCOPES]
        if unknown or not chosen:
            errors["scopes"] = [
                _("Unknown scope %(scope)s.") % {"scope": repr(unknown[0])}
                if unknown
                else _("Choose at least one scope: what may the token do?")
            ]
        if expires_in_days is not None and not (
            isinstance(expires_in_days, int) and 1 <= expires_in_days <= self.max_days
        ):
            errors["expires_in_days"] = [
                _("A token lasts 1 to %(count)s days, or until revoked.") % {"count": self.max_days}
            ]
        if errors:
            first = next(iter(errors))
            raise TokenError(errors[first][0], field=first, errors=errors)
        now = self.clock.now()
        with transaction.atomic():
            # The owner's row, locked: two requests at once cannot both pass the limit.
            get_user_model().objects.select_for_update().filter(pk=user_id).first()
            live = ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).filter(
                Q(expires_at__isnull=True) | Q(expires_at__gt=now)
            )
            if live.count() >= self.max_tokens:
                raise TokenError(
                    _("You have %(count)s tokens already: revoke one you no longer use first.")
                    % {"count": self.max_tokens},
                    field="name",
                )
            secret = PREFIX + secrets.token_urlsafe(32)
            token = ApiToken.objects.create(
                user_id=user_id,
                name=name,
                prefix=secret[:SHOWN_CHARS],
                digest=digest(secret),
                scopes=chosen,
                created_at=now,
                expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
            )
        return IssuedToken(token=_row(token), secret=secret)

    def tokens(self, *, user_id: int) -> list[TokenRow]:
        """The owner's tokens that still work, newest first."""
        now = self.clock.now()
        rows = _models().objects.filter(user_id=user_id, revoked_at__isnull=True)
        return [_row(token) for token in rows.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))]

    def revoke(self, *, user_id: int, token_id: int) -> None:
        changed = (
            _models()
            .objects.filter(pk=token_id, user_id=user_id, revoked_at__isnull=True)
            .update(revoked_at=self.clock.now())
        )
        if not changed:
            raise NotFound(_("There is no such token."))

    def authenticate(self, *, secret: str, address: str = "") -> Principal:
        """The principal a token speaks for; ``InvalidToken`` for anything that is not a live token."""
        ApiToken = _models()
        refused = InvalidToken(_("The token is not valid: it may have been revoked or have expired."))
        if not isinstance(secret, str) or not secret.startswith(PREFIX) or len(secret) > 100:
            raise refused
        # One row, no model: every API call with a token asks this.
        found = (
            ApiToken.objects.filter(digest=digest(secret), revoked_at__isnull=True, user__is_active=True)
            .order_by()
            .values_list("pk", "user_id", "scopes", "expires_at", "last_used_at", "last_used_ip")[:1]
        )
        now = self.clock.now()
        if not found:
            raise refused
        token_id, user_id, scopes, expires_at, last_used_at, last_used_ip = found[0]
        if expires_at is not None and expires_at <= now:
            raise refused
        address = address or None
        if (
            last_used_at is None
            or (now - last_used_at).total_seconds() >= self.touch_seconds
            or last_used_ip != address
        ):
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now, last_used_ip=address)
        return Principal(user_id=user_id, scopes=frozenset(scopes), token_id=token_id)

    def session_principal(self, *, user_id: int) -> Principal:
        """The site's own pages act for their signed-in user with every scope."""
        return Principal(user_id=user_id, scopes=frozenset(SCOPES))
