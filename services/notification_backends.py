"""Where notifications go, chosen by configuration (``MARKETPLACE_NOTIFICATIONS_BACKEND``).

``log``: a line in the application log (the default; nothing leaves the machine).
``email``: an e-mail through Django's configured e-mail backend (``EMAIL_BACKEND``, SMTP...).
A backend raises when it cannot deliver; ``NotificationService`` records that and carries on.
"""

import logging
from dataclasses import dataclass

from django.core.mail import EmailMessage

from services.errors import NotificationError

log = logging.getLogger("marketplace.notifications")


@dataclass(frozen=True)
class Notice:
    user_id: int
    username: str
    email: str
    subject: str
    body: str
    link: str = ""
    key: str = ""  # the same for every attempt at this notice: a repeat is recognisable downstream
    language: str = ""  # what subject and body are written in (the recipient's language)

    def text(self) -> str:
        return f"{self.body}\n\n{self.link}" if self.link else self.body


class LogBackend:
    name = "log"
    needs_address = False

    def send(self, notice: Notice) -> None:
        log.info(
            "notification for %s: %s",
            notice.username,
            notice.subject,
            extra={"notify_user": notice.user_id, "notify_link": notice.link},
        )


class EmailBackend:
    name = "email"
    needs_address = True  # users without a confirmed address are told on the site only

    def __init__(self, *, from_email: str, subject_prefix: str = "[Marketplace] "):
        self.from_email = from_email
        self.subject_prefix = subject_prefix

    def send(self, notice: Notice) -> None:
        if not notice.email:
            raise NotificationError(f"{notice.username} has no e-mail address")
        # A worker killed between the server's "250" and recording it sends again: the same
        # Message-ID lets mail software drop the repeat.
        domain = self.from_email.rpartition("@")[2] or "marketplace.invalid"
        headers = {"Message-ID": f"<{notice.key}@{domain}>"} if notice.key else {}
        if notice.language:
            headers["Content-Language"] = notice.language
        message = EmailMessage(
            subject=self.subject_prefix + notice.subject,
            body=notice.text(),
            from_email=self.from_email,
            to=[notice.email],
            headers=headers or None,
        )
        message.send(fail_silently=False)
