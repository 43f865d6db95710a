from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from services.username_rules import SKELETON_KEY_LENGTH, skeleton_key


class User(AbstractUser):
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    # Notifications go only to an address its owner proved they read (a link sent to it).
    email_verified = models.BooleanField(default=False)
    # The digest of the name's look-alike skeleton (services/username_rules.py). NULL only for an
    # account older than the rule whose name looked like an older one's (migration 0005): NULLs,
    # unlike empty strings, never collide under the unique constraint.
    username_skeleton = models.CharField(  # noqa: DJ001
        max_length=SKELETON_KEY_LENGTH, null=True, blank=True, editable=False
    )
    # The language last chosen on the site (marketplace/language.py): mail and notifications
    # caused by someone else's action are written in it. Empty: the site's default.
    language = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        db_table = "accounts_user"
        constraints = [
            # Names and addresses are unique whatever their case, even under racing sign-ups.
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                condition=~models.Q(email=""),
            ),
            # No two names that can pass for one another (аlice, alice), even under racing sign-ups.
            models.UniqueConstraint(fields=["username_skeleton"], name="accounts_user_username_skeleton_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    def clean(self):
        super().clean()
        # The admin's forms: a clear refusal rather than the constraint's error (sign-up checks
        # in UserService). An account the rule found without a skeleton keeps none, as in save().
        if not self.username or (self.username_skeleton is None and not self._state.adding):
            return
        if User.objects.filter(username_skeleton=skeleton_key(self.username)).exclude(pk=self.pk).exists():
            raise ValidationError({"username": "This username looks like an existing one; choose another."})

    def save(self, *args, **kwargs):
        # Every way an account is made or renamed keeps its skeleton, not sign-up alone.
        update_fields = kwargs.get("update_fields")
        renamed = update_fields is None or "username" in update_fields
        if renamed and (self._state.adding or self.username_skeleton is not None):
            self.username_skeleton = skeleton_key(self.username)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        super().save(*args, **kwargs)


class StaffAction(models.Model):
    """One staff action on money (or another act worth a record): append-only.

    The staff capabilities (``accounts.<codename>``) hang on this model because every one of them
    is something the log is there to watch; roles are groups holding them (``services/staff_access.py``).
    """

    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=120, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "accounts_staff_action"
        default_permissions = ()
        permissions = [
            ("view_any_order", "Look up any order, its history and disputes (read-only)"),
            ("moderate_catalog", "Review reported listings and hide or restore them"),
            ("manage_vendors", "Approve, reject, suspend and reinstate shops"),
            ("handle_deposits", "Propose and confirm deposits recorded by hand"),
            ("handle_withdrawals", "Approve or reject withdrawals"),
            ("rule_disputes", "Rule on disputed orders (refund, release, split)"),
            ("audit_ledger", "Read the ledger audit and the staff audit log"),
            ("operate", "Ops page, health details, metrics, reloads"),
        ]
        indexes = [models.Index(fields=["action", "-id"], name="accounts_staff_action_by_kind")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.target}"


class MailRequest(models.Model):
    """One account e-mail asked for (a reset, a verification link), counted to refuse mail bombs.

    Kept in the database, not the cache, so that the limit holds when the cache is down; rows
    older than the counting window are deleted as new ones come (services/send_limiter.py).
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)  # a SHA-256 of the recipient or client address
    created_at = models.DateTimeField()

    class Meta:
        db_table = "accounts_mail_request"
        indexes = [
            models.Index(fields=["scope", "key", "created_at"], name="accounts_mail_request_by_key"),
            models.Index(fields=["created_at"], name="accounts_mail_request_by_age"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.created_at:%Y-%m-%d %H:%M}"
