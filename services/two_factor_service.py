"""A second factor at sign-in: an authenticator app (TOTP) and single-use recovery codes, by django-otp.

Every staff member must have one (``StaffAccess.is_staff_member``); anyone else may. A person
has at most one authenticator and one set of recovery codes. django-otp refuses a code twice
(TOTP codes at or before the last accepted step; recovery codes are deleted when used) and
slows down guessing on each device (1, 2, 4, 8 ... seconds after successive wrong codes).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

import django_otp
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.oath import TOTP

from services.errors import TwoFactorError

if TYPE_CHECKING:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from services.staff_access import StaffAccess


def _devices():
    # Imported on use: the accounts container is declared in every project that runs the modular
    # system (containers/application.py), its tools included, and django-otp's apps that hold
    # these tables may not be installed there; only the methods that read or write them need them.
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice, StaticDevice, StaticToken


RECOVERY_CODES = 10
TOTP_DIGITS = 6
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery codes"


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, to type into an app that cannot scan
    otpauth_url: str  # what the QR code holds


class TwoFactorService:
    def __init__(self, *, staff_access: StaffAccess):
        self._staff = staff_access

    def is_required(self, user) -> bool:
        return self._staff.is_staff_member(user)

    def has_device(self, user) -> bool:
        TOTPDevice = _devices()[0]
        return TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    def recovery_codes_left(self, user) -> int:
        StaticToken = _devices()[2]
        return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()

    def start_enrolment(self, user) -> Enrolment:
        """A new (unconfirmed) authenticator secret, or the one shown before if still unconfirmed."""
        if self.has_device(user):
            raise TwoFactorError(_("Two-factor sign-in is already on for this account."))
        TOTPDevice = _devices()[0]
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
        return Enrolment(secret=_base32(device), otpauth_url=device.config_url)

    def confirm_enrolment(self, user, code: str) -> tuple[TOTPDevice, list[str]]:
        """Turn the authenticator on with a code it shows; returns it and the recovery codes, to show once."""
        TOTPDevice = _devices()[0]
        token = _normalise(code)
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
            if device is None or self.has_device(user):
                raise TwoFactorError(_("Start again: open the two-factor page to get a new secret."))
            _allowed(device)
            right = len(token) == TOTP_DIGITS and token.isdigit() and device.verify_token(token)
            if right:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = self._replace_recovery_codes(user)
        # Raised after the block: the device's count of wrong codes (its throttle) must stay.
        if not right:
            raise TwoFactorError(_("That code is not right. Check the clock of your phone and try the next one."))
        return device, codes

    def verify(self, user, code: str):
        """The device that accepts ``code`` (6 digits: the authenticator; otherwise a recovery code)."""
        TOTPDevice, StaticDevice = _devices()[:2]
        token = _normalise(code)
        if not token:
            raise TwoFactorError(_("Enter the code from your authenticator app, or a recovery code."))
        totp = len(token) == TOTP_DIGITS and token.isdigit()
        model = TOTPDevice if totp else StaticDevice
        device = model.objects.filter(user=user, confirmed=True).first()
        if device is None or len(token) > 16:
            raise TwoFactorError(_("That code is not right."))
        _allowed(device)
        accepted = django_otp.verify_token(user, device.persistent_id, token)
        if accepted is not None:
            return accepted
        if totp and _seen_before(device, token):
            raise TwoFactorError(_("That code was used already. Wait for the next one in your app."))
        if totp:
            raise TwoFactorError(_("That code is not right. Check the clock of your phone and try the next one."))
        raise TwoFactorError(_("That recovery code is not right, or was used already."))

    def new_recovery_codes(self, user) -> list[str]:
        if not self.has_device(user):
            raise TwoFactorError(_("Turn two-factor sign-in on first."))
        with transaction.atomic():
            return self._replace_recovery_codes(user)

    def disable(self, user) -> None:
        if self.is_required(user):
            raise TwoFactorError(_("Staff members must keep two-factor sign-in on."))
        TOTPDevice, StaticDevice = _devices()[:2]
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()

    @staticmethod
    def _replace_recovery_codes(user) -> list[str]:
        StaticDevice, StaticToken = _devices()[1:]
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
        return codes


def _normalise(code) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()


def _base32(device) -> str:
    return base64.b32encode(device.bin_key).decode()


def _allowed(device) -> None:
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        until = (extra or {}).get("locked_until")
        if until is None:
            raise TwoFactorError(_("Too many wrong codes. Wait a few seconds and try again."))
        seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
        raise TwoFactorError(
            ngettext(
                "Too many wrong codes. Wait %(count)s second and try again.",
                "Too many wrong codes. Wait %(count)s seconds and try again.",
                seconds,
            )
            % {"count": seconds}
        )


def _seen_before(device, token: str) -> bool:
    """A right code at or before the last accepted step: a replay, not a typo."""
    device.refresh_from_db()
    checker = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return checker.verify(int(token), device.tolerance)
