"""Accounts: registration, sign-in, profiles and passwords."""

import logging
from dataclasses import dataclass

from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from services.errors import (
    AuthenticationFailed,
    LoginThrottled,
    NotFound,
    PasswordChangeError,
    ProfileError,
    RegistrationError,
)

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

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class UserService:
    """The accounts module's rules. Views call these; nothing else touches ``User`` writes."""

    def __init__(self, *, login_throttle, events, min_password_length: int):
        self._throttle = login_throttle
        self._events = events
        self.min_password_length = int(min_password_length)

    def get_required_config(self) -> dict:
        """The configuration this service runs with (what a failing start-up should be checked against)."""
        return {
            "min_password_length": self.min_password_length,
            "login_max_attempts": self._throttle.max_attempts,
            "login_window_seconds": self._throttle.window_seconds,
        }

    # reads
    def get_user_by_id(self, user_id) -> "object":
        User = get_user_model()
        try:
            return User.objects.get(pk=int(user_id), is_active=True)
        except (User.DoesNotExist, TypeError, ValueError):
            raise NotFound(f"No user with id {user_id!r}.") from None

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
            raise RegistrationError("Please correct the errors below.", errors=errors)
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, email=email, password=password)
        except IntegrityError:  # a concurrent registration took the name first
            raise RegistrationError(
                "That username is taken.", field="username"
            ) from None
        self._events.publish("accounts.user_registered", user_id=user.pk)
        log.info("user registered", extra={"user_id": user.pk})
        return user

    def authenticate(self, *, username: str, password: str, client_ip: str = ""):
        username = (username or "").strip()
        if self._throttle.is_blocked(username=username, client_ip=client_ip):
            log.warning("sign-in throttled", extra={"username": username[:USERNAME_MAX], "client_ip": client_ip})
            raise LoginThrottled(
                "Too many failed sign-in attempts. Try again later.",
                retry_after=self._throttle.window_seconds,
            )
        if not username or not password or len(username) > USERNAME_MAX or len(password) > PASSWORD_MAX:
            user = None
        else:
            user = django_authenticate(username=username, password=password)
        if user is None:
            self._throttle.record_failure(username=username, client_ip=client_ip)
            log.info("sign-in failed", extra={"username": username[:USERNAME_MAX], "client_ip": client_ip})
            raise AuthenticationFailed("Wrong username or password.")
        self._throttle.reset(username=username)
        return user

    def update_profile(self, *, user_id, display_name: str, email: str, bio: str) -> Profile:
        User = get_user_model()
        display_name = (display_name or "").strip()
        bio = (bio or "").strip()
        email = User.objects.normalize_email((email or "").strip())
        errors: dict[str, list[str]] = {}
        if len(display_name) > DISPLAY_NAME_MAX:
            errors["display_name"] = [f"At most {DISPLAY_NAME_MAX} characters."]
        if len(bio) > BIO_MAX:
            errors["bio"] = [f"At most {BIO_MAX} characters."]
        errors.update(self._email_errors(email, exclude_user_id=int(user_id)))
        if errors:
            raise ProfileError("Please correct the errors below.", errors=errors)
        with transaction.atomic():
            updated = User.objects.filter(pk=int(user_id), is_active=True).update(
                display_name=display_name, email=email, bio=bio
            )
        if not updated:
            raise NotFound(f"No user with id {user_id!r}.")
        return self.get_profile(user_id=user_id)

    def set_staff(self, *, user_id, is_staff: bool) -> None:
        """Grant or withdraw staff rights (an operator's act: the admin, or demo data)."""
        User = get_user_model()
        if not User.objects.filter(pk=int(user_id)).update(is_staff=bool(is_staff)):
            raise NotFound(f"No user with id {user_id!r}.")

    def change_password(self, *, user_id, old_password: str, new_password: str) -> None:
        user = self.get_user_by_id(user_id)
        if not old_password or not user.check_password(old_password[:PASSWORD_MAX]):
            raise PasswordChangeError("Your current password is wrong.", field="old_password")
        errors = self._password_errors(new_password, user, field="new_password")
        if errors:
            raise PasswordChangeError("Please choose another password.", errors=errors)
        user.set_password(new_password)
        user.save(update_fields=["password"])

    # validation helpers
    def _username_errors(self, username: str) -> dict[str, list[str]]:
        User = get_user_model()
        if not username:
            return {"username": ["Choose a username."]}
        if len(username) > USERNAME_MAX:
            return {"username": [f"At most {USERNAME_MAX} characters."]}
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as exc:
            return {"username": list(exc.messages)}
        if User.objects.filter(username__iexact=username).exists():
            return {"username": ["That username is taken."]}
        return {}

    def _email_errors(self, email: str, exclude_user_id: int | None = None) -> dict[str, list[str]]:
        User = get_user_model()
        if not email:
            return {"email": ["Enter an e-mail address."]}
        if len(email) > EMAIL_MAX:
            return {"email": [f"At most {EMAIL_MAX} characters."]}
        try:
            validate_email(email)
        except ValidationError:
            return {"email": ["Enter a valid e-mail address."]}
        taken = User.objects.filter(email__iexact=email)
        if exclude_user_id is not None:
            taken = taken.exclude(pk=exclude_user_id)
        if taken.exists():
            return {"email": ["That e-mail address is already in use."]}
        return {}

    def _password_errors(self, password: str, user, field: str = "password") -> dict[str, list[str]]:
        password = password or ""
        problems: list[str] = []
        if len(password) < self.min_password_length:
            problems.append(f"Use at least {self.min_password_length} characters.")
        if len(password) > PASSWORD_MAX:
            problems.append(f"Use at most {PASSWORD_MAX} characters.")
        else:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                problems.extend(exc.messages)
        return {field: problems} if problems else {}
