"""Who among staff may do what: four roles, each a set of capabilities.

A capability is a Django permission of the accounts app (``accounts.handle_withdrawals``); a role
is a Django group holding some of them (created by ``accounts/0003_staff_roles``). Superusers hold
every capability. Services ask ``StaffAccess.require(user, capability)`` before a staff action, so
the rule holds whatever calls them (a page, a command, the shell); views ask the same object
through ``marketplace.access.staff_required``.
"""

from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from services.errors import NotFound, PermissionDenied


class Capability(StrEnum):
    VIEW_ANY_ORDER = "accounts.view_any_order"
    MODERATE_CATALOG = "accounts.moderate_catalog"
    MANAGE_VENDORS = "accounts.manage_vendors"
    HANDLE_DEPOSITS = "accounts.handle_deposits"
    HANDLE_WITHDRAWALS = "accounts.handle_withdrawals"
    RULE_DISPUTES = "accounts.rule_disputes"
    AUDIT_LEDGER = "accounts.audit_ledger"
    OPERATE = "accounts.operate"

    @property
    def codename(self) -> str:
        return self.value.split(".", 1)[1]


# What each capability lets a person do, shown in the admin and docs/security.md.
DESCRIPTIONS = {
    Capability.VIEW_ANY_ORDER: _("Look up any order, its history and disputes (read-only)"),
    Capability.MODERATE_CATALOG: _("Review reported listings and hide or restore them"),
    Capability.MANAGE_VENDORS: _("Approve, reject, suspend and reinstate shops"),
    Capability.HANDLE_DEPOSITS: _("Propose and confirm deposits recorded by hand"),
    Capability.HANDLE_WITHDRAWALS: _("Approve or reject withdrawals"),
    Capability.RULE_DISPUTES: _("Rule on disputed orders (refund, release, split)"),
    Capability.AUDIT_LEDGER: _("Read the ledger audit and the staff audit log"),
    Capability.OPERATE: _("Ops page, health details, metrics, reloads"),
}

ROLES: dict[str, tuple[Capability, ...]] = {
    "support": (Capability.VIEW_ANY_ORDER,),
    "moderator": (Capability.MODERATE_CATALOG, Capability.MANAGE_VENDORS),
    "finance": (
        Capability.HANDLE_DEPOSITS,
        Capability.HANDLE_WITHDRAWALS,
        Capability.RULE_DISPUTES,
        Capability.AUDIT_LEDGER,
        Capability.VIEW_ANY_ORDER,
    ),
    "operator": (Capability.OPERATE,),
}

# Read-only admin pages each role may open (Django "view" permissions), beside its capabilities.
ADMIN_VIEWS: dict[str, tuple[str, ...]] = {
    "support": ("orders.view_order", "orders.view_dispute", "orders.view_review"),
    "moderator": (
        "vendors.view_vendor",
        "products.view_product",
        "products.view_productreport",
        "products.view_category",
    ),
    "finance": (
        "wallets.view_account",
        "wallets.view_journalentry",
        "wallets.view_deposit",
        "wallets.view_depositaddress",
        "wallets.view_withdrawal",
    ),
    "operator": ("ops.view_reloadrequest", "axes.view_accessattempt", "axes.view_accessfailurelog"),
}


class StaffAccess:
    """The one answer to "may this person do X". Stateless; safe to share between threads."""

    def capabilities(self, user) -> frozenset[Capability]:
        """What ``user`` (a user or a user id) may do; empty for anyone inactive or unknown."""
        user = self._user(user)
        if user is None or not user.is_active:
            return frozenset()
        if user.is_superuser:
            return frozenset(Capability)
        held = user.get_all_permissions()  # cached on the user object by Django's backend
        return frozenset(c for c in Capability if c.value in held)

    def can(self, user, capability: Capability) -> bool:
        return Capability(capability) in self.capabilities(user)

    def is_staff_member(self, user) -> bool:
        """Holds any role: must use two-factor sign-in and sees the staff menu."""
        return bool(self.capabilities(user))

    def require(self, user, capability: Capability, message: str | None = None) -> int:
        """The user's id if they hold ``capability``; ``PermissionDenied`` otherwise."""
        found = self._user(user)
        if found is None or not self.can(found, capability):
            if not message:
                what = str(DESCRIPTIONS[Capability(capability)])
                # Only the first letter: a translation may capitalise its nouns.
                message = gettext("Only staff allowed to %(what)s.") % {"what": what[:1].lower() + what[1:]}
            raise PermissionDenied(message)
        return found.pk

    def roles(self, user) -> list[str]:
        user = self._user(user)
        if user is None:
            return []
        names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        return [role for role in ROLES if role in names]

    def set_roles(self, *, user_id: int, roles) -> list[str]:
        """Give a user exactly these roles; ``is_staff`` (the admin's door) follows them."""
        wanted = list(dict.fromkeys(roles))
        unknown = [r for r in wanted if r not in ROLES]
        if unknown:
            raise PermissionDenied(f"Unknown role(s): {', '.join(unknown)}. Roles: {', '.join(ROLES)}.")
        user = self._user(user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id!r}.")
        with transaction.atomic():
            groups = list(Group.objects.filter(name__in=wanted))
            if len(groups) != len(wanted):
                raise NotFound("The staff roles are missing: run the migrations.")
            user.groups.remove(*user.groups.filter(name__in=ROLES))
            user.groups.add(*groups)
            get_user_model().objects.filter(pk=user.pk).update(is_staff=bool(wanted) or user.is_superuser)
        return [r for r in ROLES if r in wanted]

    @staticmethod
    def _user(user):
        if user is None or isinstance(user, bool):
            return None
        if hasattr(user, "get_all_permissions"):
            return user if getattr(user, "pk", None) else None
        try:
            return get_user_model().objects.filter(pk=int(user)).first()
        except (TypeError, ValueError):
            return None
