"""The e-mails the accounts module sends when someone asks, and the signed links they carry.

Every send is first counted by the ``SendLimiter``, per recipient address and per requester
(a user, or a client address), so that no form on the site can flood a mailbox. Links are
signed with ``django.core.signing`` (the site's SECRET_KEY, a salt of their own) and expire.
Sending is a background task (``accounts.send_mail``): the form answers at once, the mail server
is retried with back-off, and the message (it carries a link) is forgotten once sent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core import signing
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from services.errors import EmailLinkInvalid

if TYPE_CHECKING:
    from services.ports import MailLimiter
    from services.task_service import TaskService

log = logging.getLogger(__name__)

LINK_SALT = "marketplace.accounts.email-verification"
NOT_VALID = gettext_noop("This link is not valid. Copy it whole from the e-mail, or ask for a new one.")


class AccountMail:
    def __init__(
        self,
        *,
        limiter: MailLimiter,
        tasks: TaskService,
        link_max_age_seconds: int,
        per_recipient: int,
        per_client: int,
    ):
        if int(link_max_age_seconds) < 60 or int(per_recipient) < 1 or int(per_client) < 1:
            raise ValueError("account mail needs a link age of a minute or more and limits of 1 or more")
        self._limiter = limiter
        self._tasks = tasks
        self.link_max_age_seconds = int(link_max_age_seconds)
        self.per_recipient = int(per_recipient)
        self.per_client = int(per_client)

    def allow(self, *, purpose: str, recipient: str, requester: str) -> None:
        """Count one e-mail for ``purpose``; ``MailThrottled`` if the recipient or requester had enough."""
        self._limiter.take(
            purpose,
            {f"to:{recipient.strip().casefold()}": self.per_recipient, f"by:{requester}": self.per_client},
        )

    # signed links
    def make_link_token(self, payload: dict) -> str:
        return signing.dumps(payload, salt=LINK_SALT, compress=True)

    def read_link_token(self, token: str) -> dict:
        try:
            data = signing.loads(token or "", salt=LINK_SALT, max_age=self.link_max_age_seconds)
        except signing.SignatureExpired:
            raise EmailLinkInvalid(_("This link has expired. Ask for a new one from your profile.")) from None
        except signing.BadSignature:
            raise EmailLinkInvalid(_(NOT_VALID)) from None
        if not isinstance(data, dict):
            raise EmailLinkInvalid(_(NOT_VALID))
        return data

    # sending
    def send_verification(self, *, to: str, username: str, link: str, requester: str) -> None:
        self.allow(purpose="verify-email", recipient=to, requester=requester)
        # Written in the language of the request that asked for it (the page the person was on).
        hours = self.link_max_age_seconds // 3600 or 1
        body = _(
            "Hello %(username)s,\n\n"
            "Please confirm that this is your e-mail address on the Marketplace by opening this link:\n\n"
            "%(link)s\n\n"
        ) % {"username": username, "link": link} + ngettext(
            "The link works for %(count)s hour. If you did not ask for it, ignore this message: nothing changes.",
            "The link works for %(count)s hours. If you did not ask for it, ignore this message: nothing changes.",
            hours,
        ) % {"count": hours}
        self.queue(to=to, subject=_("[Marketplace] Confirm your e-mail address"), body=body)

    def queue(self, *, to: str, subject: str, body: str) -> None:
        """Send once the current transaction commits, from a task worker."""
        self._tasks.enqueue("accounts.send_mail", forget_arguments=True, to=to, subject=subject, body=body)

    @staticmethod
    def send_now(*, to: str, subject: str, body: str) -> None:
        """The task: one message to the mail server; raises when it refused (the queue retries)."""
        send_mail(subject, body, None, [to], fail_silently=False)
