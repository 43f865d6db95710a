"""Accounts: registration, sign-in, profiles and passwords."""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from services.errors import (
    AccountsError,
    AuthenticationFailed,
    EmailLinkInvalid,
    LoginThrottled,
    NotFound,
    PasswordChangeError,
    ProfileError,
    RegistrationError,
)

if TYPE_CHECKING:
    from services.account_mail import AccountMail
    from services.ports import Events

USERNAME_MAX = 150
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 80
BIO_MAX = 2000
PASSWORD_MAX = 128

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    user_id: int
    username: str
    email: str
    display_name: str
    bio: str
    date_joined: object
    is_staff: bool
    email_verified: bool = False

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class UserService:
    """The accounts module's rules. Views call these; nothing else touches ``User`` writes."""

    def __init__(
        self,
        *,
        events: "Events",
        account_mail: "AccountMail",
        min_password_length: int,
        login_max_attempts: int,
        login_window_seconds: int,
    ):
        if int(login_max_attempts) < 1 or int(login_window_seconds) < 1:
            raise ValueError("sign-in limits need login_max_attempts >= 1 and login_window_seconds >= 1")
        self._events = events
        self._mail = account_mail
        self.min_password_length = int(min_password_length)
        # Enforced by django-axes (settings AXES_*, from the same environment variables).
        self.login_max_attempts = int(login_max_attempts)
        self.login_window_seconds = int(login_window_seconds)

    def get_required_config(self) -> dict:
        """The configuration this service runs with (what a failing start-up should be checked against)."""
        return {
            "min_password_length": self.min_password_length,
            "login_max_attempts": self.login_max_attempts,
            "login_window_seconds": self.login_window_seconds,
        }

    # reads
    def get_user_by_id(self, user_id) -> "object":
        User = get_user_model()
        try:
            return User.objects.get(pk=int(user_id), is_active=True)
        except (User.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("No user with id %(id)s.") % {"id": repr(user_id)}) from None

    def get_profile(self, *, user_id) -> Profile:
        user = self.get_user_by_id(user_id)
        return Profile(
            user_id=user.pk,
            username=user.username,
            email=user.email,
            display_name=user.display_name,
            bio=user.bio,
            date_joined=user.date_joined,
            is_staff=user.is_staff,
            email_verified=user.email_verified,
        )

    # writes
    def register(self, *, username: str, email: str, password: str):
        User = get_user_model()
        username = (username or "").strip()
        email = User.objects.normalize_email((email or "").strip())
        errors: dict[str, list[str]] = {}
        errors.update(self._username_errors(username))
        errors.update(self._email_errors(email))
        errors.update(self._password_errors(password, User(username=username, email=email)))
        if errors:
            raise RegistrationError(_("Please correct the errors below."), errors=errors)
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, email=email, password=password)
        except IntegrityError:  # a concurrent registration took the name first
            raise RegistrationError(_("That username is taken."), field="username") from None
        self._events.publish("accounts.user_registered", user_id=user.pk)
        log.info("user registered", extra={"user_id": user.pk})
        return user

    def authenticate(self, *, request, username: str, password: str):
        """The user these credentials prove, checked by Django's backends with django-axes first.

        ``request`` is the HTTP request, handed on untouched: axes reads the client's address
        from it, counts the failure, and flags it (``axes_locked_out``) when a limit is reached.
        """
        username = (username or "").strip()
        if not username or not password or len(username) > USERNAME_MAX or len(password) > PASSWORD_MAX:
            raise AuthenticationFailed(_("Wrong username or password."))
        user = django_authenticate(request, username=username, password=password)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                log.warning("sign-in throttled", extra={"username": username})
                raise LoginThrottled(
                    _("Too many failed sign-in attempts. Try again later."), retry_after=self.login_window_seconds
                )
            log.info("sign-in failed", extra={"username": username})
            raise AuthenticationFailed(_("Wrong username or password."))
        return user

    def update_profile(self, *, user_id, display_name: str, bio: str, email: str | None = None) -> Profile:
        """Name and bio. ``email``, if given, must be the current address: a new one needs its link."""
        User = get_user_model()
        current = self.get_user_by_id(user_id)
        display_name = (display_name or "").strip()
        bio = (bio or "").strip()
        errors: dict[str, list[str]] = {}
        if len(display_name) > DISPLAY_NAME_MAX:
            errors["display_name"] = [_at_most(DISPLAY_NAME_MAX)]
        if len(bio) > BIO_MAX:
            errors["bio"] = [_at_most(BIO_MAX)]
        if email is not None and self._normalise_email(email).casefold() != current.email.casefold():
            errors["email"] = [_("Change your address on the e-mail page: the new one is confirmed by a link first.")]
        if errors:
            raise ProfileError(_("Please correct the errors below."), errors=errors)
        with transaction.atomic():
            updated = User.objects.filter(pk=current.pk, is_active=True).update(display_name=display_name, bio=bio)
        if not updated:
            raise NotFound(_("No user with id %(id)s.") % {"id": repr(user_id)})
        return self.get_profile(user_id=user_id)

    # e-mail addresses: a new one takes effect only when the link sent to it is opened
    def send_email_verification(self, *, user_id, link_for) -> str:
        """Send a link proving the current address; ``link_for(token)`` makes its absolute URL."""
        user = self.get_user_by_id(user_id)
        if user.email_verified:
            raise AccountsError(_("Your e-mail address is already confirmed."))
        if not user.email:
            raise ProfileError(_("Add an e-mail address first."), field="email")
        self._send_link(user, user.email, link_for)
        return user.email

    def request_email_change(self, *, user_id, new_email: str, link_for) -> str:
        """Send a link to ``new_email``; the address changes only when it is opened. Nothing is stored."""
        user = self.get_user_by_id(user_id)
        email = self._normalise_email(new_email)
        errors = self._email_errors(email, exclude_user_id=user.pk)
        if errors:
            raise ProfileError(_("Please correct the errors below."), errors=errors)
        if email == user.email and user.email_verified:
            raise ProfileError(_("That is your address already."), field="email")
        self._send_link(user, email, link_for)
        return email

    def confirm_email(self, *, token: str) -> Profile:
        """Apply a verification link: its address becomes the account's, confirmed. Works once."""
        data = self._mail.read_link_token(token)
        User = get_user_model()
        try:
            user_id, email, previous = int(data["u"]), str(data["e"]), str(data["o"])
        except (KeyError, TypeError, ValueError):
            raise EmailLinkInvalid(_("This link is not valid. Ask for a new one from your profile.")) from None
        try:
            with transaction.atomic():
                user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
                if user is None:
                    raise EmailLinkInvalid(_("This link is not valid. Ask for a new one from your profile."))
                if user.email == email and user.email_verified:
                    raise EmailLinkInvalid(_("This link was used already: your address is confirmed."))
                if user.email != previous:
                    raise EmailLinkInvalid(_("This link is out of date: your address changed since it was sent."))
                if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                    raise EmailLinkInvalid(_("That address is now used by another account."))
                user.email, user.email_verified = email, True
                user.save(update_fields=["email", "email_verified"])
        except IntegrityError:  # another account took the address at the same moment
            raise EmailLinkInvalid(_("That address is now used by another account.")) from None
        self._events.publish("accounts.email_verified", user_id=user.pk)
        return self.get_profile(user_id=user.pk)

    def mark_email_verified(self, *, user_id) -> None:
        """Vouch for the current address without a link (an operator's act: the admin, or demo data)."""
        if not get_user_model().objects.filter(pk=int(user_id)).update(email_verified=True):
            raise NotFound(_("No user with id %(id)s.") % {"id": repr(user_id)})

    def set_language(self, *, user_id, language: str) -> None:
        """Remember the language chosen on the site: what is written to this person later, on
        someone else's action (a notification, its e-mail), is written in it."""
        if language not in dict(settings.LANGUAGES):
            raise ProfileError(_("No such language: %(code)s.") % {"code": repr(language)})
        get_user_model().objects.filter(pk=int(user_id)).update(language=language)

    def allow_password_reset(self, *, email: str, client_ip: str) -> None:
        """Count a password-reset request; ``MailThrottled`` when the address or the client had enough."""
        self._mail.allow(purpose="password-reset", recipient=self._normalise_email(email), requester=f"ip:{client_ip}")

    def queue_mail(self, *, to: str, subject: str, body: str) -> None:
        """An account e-mail composed elsewhere (Django's password reset form), sent by a task."""
        self._mail.queue(to=to, subject=subject, body=body)

    def _send_link(self, user, email: str, link_for) -> None:
        token = self._mail.make_link_token({"u": user.pk, "e": email, "o": user.email})
        self._mail.send_verification(
            to=email, username=user.username, link=link_for(token), requester=f"user:{user.pk}"
        )

    def password_problems(self, *, user, password: str) -> list[str]:
        """Why ``password`` may not be ``user``'s new one (empty when it may): for Django's reset form."""
        return self._password_errors(password, user).get("password", [])

    def change_password(self, *, user_id, old_password: str, new_password: str) -> None:
        user = self.get_user_by_id(user_id)
        if not old_password or not user.check_password(old_password[:PASSWORD_MAX]):
            raise PasswordChangeError(_("Your current password is wrong."), field="old_password")
        errors = self._password_errors(new_password, user, field="new_password")
        if errors:
            raise PasswordChangeError(_("Please choose another password."), errors=errors)
        user.set_password(new_password)
        user.save(update_fields=["password"])

    # validation helpers
    @staticmethod
    def _normalise_email(email) -> str:
        return get_user_model().objects.normalize_email((email or "").strip())

    def _username_errors(self, username: str) -> dict[str, list[str]]:
        from services import username_rules

        User = get_user_model()
        # Judged in the form it is stored in: create_user keeps NFKC (ａｌｉｃｅ is alice).
        username = username_rules.normalise(username)
        if not username:
            return {"username": [_("Choose a username.")]}
        if len(username) > USERNAME_MAX:
            return {"username": [_at_most(USERNAME_MAX)]}
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as exc:
            return {"username": list(exc.messages)}
        if username_rules.mixes_lookalike_scripts(username):
            return {
                "username": [
                    _(
                        "Use the letters of one alphabet: this name mixes scripts whose letters look alike "
                        "(such as Latin and Cyrillic)."
                    )
                ]
            }
        # One indexed lookup: a name equal but for case has the same skeleton too.
        keys = username_rules.lookalike_keys(username)
        existing = User.objects.filter(username_skeleton__in=keys).values_list("username", flat=True).first()
        if existing is not None and existing.casefold() == username.casefold():
            return {"username": [_("That username is taken.")]}
        if existing is not None:
            return {
                "username": [
                    _("That username looks like “%(existing)s”, which is taken; choose another.")
                    % {"existing": existing}
                ]
            }
        return {}

    def _email_errors(self, email: str, exclude_user_id: int | None = None) -> dict[str, list[str]]:
        User = get_user_model()
        if not email:
            return {"email": [_("Enter an e-mail address.")]}
        if len(email) > EMAIL_MAX:
            return {"email": [_at_most(EMAIL_MAX)]}
        try:
            validate_email(email)
        except ValidationError:
            return {"email": [_("Enter a valid e-mail address.")]}
        taken = User.objects.filter(email__iexact=email)
        if exclude_user_id is not None:
            taken = taken.exclude(pk=exclude_user_id)
        if taken.exists():
            return {"email": [_("That e-mail address is already in use.")]}
        return {}

    def _password_errors(self, password: str, user, field: str = "password") -> dict[str, list[str]]:
        password = password or ""
        problems: list[str] = []
        if len(password) < self.min_password_length:
            problems.append(
                ngettext(
                    "Use at least %(count)s character.", "Use at least %(count)s characters.", self.min_password_length
                )
                % {"count": self.min_password_length}
            )
        if len(password) > PASSWORD_MAX:
            problems.append(
                ngettext("Use at most %(count)s character.", "Use at most %(count)s characters.", PASSWORD_MAX)
                % {"count": PASSWORD_MAX}
            )
        else:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                problems.extend(exc.messages)
        return {field: problems} if problems else {}


def _at_most(limit: int) -> str:
    return ngettext("At most %(count)s character.", "At most %(count)s characters.", limit) % {"count": limit}
