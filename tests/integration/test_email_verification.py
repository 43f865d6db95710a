"""Proving an address: a signed link on sign-up and on change; a new address replaces the old
one only when its link is opened; notifications are mailed to confirmed addresses only."""

import re
import time

import pytest
from django.conf import settings
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from marketplace.notifications.models import Notification
from services.account_mail import LINK_SALT

# Account e-mails leave by a task sent when the request's transaction commits: commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = reverse("accounts:register")
PROFILE = reverse("accounts:profile")
EMAIL = reverse("accounts:email")
REAUTH = reverse("accounts:reauth")
GOOD = "a sturdy passphrase"
PER_RECIPIENT = settings.MARKETPLACE["accounts"]["mails_per_recipient"]


def verify_link(message) -> str:
    return re.search(r"https?://testserver(/accounts/email/verify/[^/\s]+/)", message.body).group(1)


def signed_in_recently(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.post(REAUTH, {"password": GOOD}).status_code == 302
    return client


def test_sign_up_sends_a_link_that_confirms_the_address_once(client):
    client.post(REGISTER, {"username": "zoe", "email": "zoe@example.com", "password": GOOD, "password_again": GOOD})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zoe@example.com"]
    assert "not confirmed" in client.get(PROFILE).content.decode()
    link = verify_link(mail.outbox[0])

    page = client.get(link)  # a GET (a mail scanner's) confirms nothing
    assert page.status_code == 200 and "Confirm this address" in page.content.decode()
    assert "not confirmed" in client.get(PROFILE).content.decode()
    confirmed = Client().post(link)  # from another browser, signed out: the link is the proof
    assert confirmed.status_code == 302
    assert "not confirmed" not in client.get(PROFILE).content.decode()

    again = Client().post(link)
    assert again.status_code == 400 and "used already" in again.content.decode()


def test_a_tampered_or_expired_link_is_refused(make_user):
    user = make_user("alice", email_verified=False)
    payload = {"u": user.pk, "e": "alice@example.com", "o": "alice@example.com"}
    good = signing.dumps(payload, salt=LINK_SALT, compress=True)
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    other_salt = signing.dumps(payload, compress=True)

    class Old(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 30 * 24 * 3600)

    expired = Old(salt=LINK_SALT).sign_object(payload, compress=True)
    for token, message in ((tampered, "not valid"), (other_salt, "not valid"), (expired, "expired")):
        refused = Client().post(reverse("accounts:verify_email", args=[token]))
        assert refused.status_code == 400 and message in refused.content.decode()
    user.refresh_from_db()
    assert not user.email_verified
    assert Client().post(reverse("accounts:verify_email", args=[good])).status_code == 302


def test_a_new_address_replaces_the_old_only_when_its_link_is_opened(make_user):
    user = make_user("alice")
    client = signed_in_recently(user)
    asked = client.post(EMAIL, {"email": "alice@new.example"})
    assert asked.status_code == 302 and asked["Location"] == PROFILE
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@new.example"]
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("alice@example.com", True)  # unchanged until the link

    link = verify_link(mail.outbox[0])
    assert client.post(link).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("alice@new.example", True)
    assert "alice@new.example" in client.get(PROFILE).content.decode()


def test_an_older_change_link_is_out_of_date_once_another_was_used(make_user):
    user = make_user("alice")
    client = signed_in_recently(user)
    client.post(EMAIL, {"email": "first@example.com"})
    client.post(EMAIL, {"email": "second@example.com"})
    first, second = (verify_link(m) for m in mail.outbox)
    assert client.post(second).status_code == 302
    stale = client.post(first)
    assert stale.status_code == 400 and "out of date" in stale.content.decode()
    user.refresh_from_db()
    assert user.email == "second@example.com"


def test_an_address_taken_meanwhile_is_refused(make_user):
    user = make_user("alice")
    client = signed_in_recently(user)
    client.post(EMAIL, {"email": "wanted@example.com"})
    make_user("bob", email="wanted@example.com")
    refused = client.post(verify_link(mail.outbox[0]))
    assert refused.status_code == 400 and "used by another account" in refused.content.decode()
    user.refresh_from_db()
    assert user.email == "alice@example.com"


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "This field is required"),
        ("nope", "Enter a valid email address"),
        ("taken@example.com", "already in use"),
        ("alice@example.com", "your address already"),
        ("a" * 300 + "@example.com", "at most 254 characters"),
    ],
)
def test_bad_new_addresses_send_nothing(make_user, email, message):
    make_user("dave", email="taken@example.com")
    client = signed_in_recently(make_user("alice"))
    response = client.post(EMAIL, {"email": email})
    assert response.status_code == 400 and message in response.content.decode()
    assert mail.outbox == []


def test_changing_the_address_needs_a_recent_password(make_user):
    user = make_user("alice")
    client = Client()
    client.force_login(user)
    sent = client.get(EMAIL)
    assert sent.status_code == 302 and sent["Location"] == f"{REAUTH}?next=%2Faccounts%2Femail%2F"
    assert client.post(EMAIL, {"email": "x@example.com"}).status_code == 302 and mail.outbox == []


def test_links_to_one_address_are_limited(make_user):
    client = signed_in_recently(make_user("alice"))
    for _ in range(PER_RECIPIENT):
        assert client.post(EMAIL, {"email": "victim@example.com"}).status_code == 302
    refused = client.post(EMAIL, {"email": "victim@example.com"})
    assert refused.status_code == 429 and "Too many e-mails" in refused.content.decode()
    assert len(mail.outbox) == PER_RECIPIENT


def test_the_link_can_be_sent_again(make_user):
    user = make_user("alice", email_verified=False)
    client = Client()
    client.force_login(user)
    assert client.post(reverse("accounts:email_resend")).status_code == 302
    assert len(mail.outbox) == 1 and client.post(verify_link(mail.outbox[0])).status_code == 302
    assert client.post(reverse("accounts:email_resend")).status_code == 302  # confirmed: nothing to send
    assert len(mail.outbox) == 1


def test_notifications_are_mailed_to_confirmed_addresses_only(
    make_user, marketplace_config, container, django_capture_on_commit_callbacks
):
    confirmed = make_user("confirmed")
    unconfirmed = make_user("unconfirmed", email_verified=False)
    with marketplace_config(notifications={"backend": "email"}, reload=["notifications"]):
        with django_capture_on_commit_callbacks(execute=True):
            container.notifications.notification_service().notify(
                user_ids=[confirmed.pk, unconfirmed.pk], subject="Hello", body="Body"
            )
    assert [m.to for m in mail.outbox] == [["confirmed@example.com"]]
    rows = {n.user.username: (n.backend, n.status) for n in Notification.objects.select_related("user")}
    assert rows == {"confirmed": ("email", "sent"), "unconfirmed": ("inbox", "sent")}  # both in their list
