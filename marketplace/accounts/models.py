from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    # Notifications go only to an address its owner proved they read (a link sent to it).
    email_verified = models.BooleanField(default=False)

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
        ]

    def __str__(self) -> str:
        return self.username


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
