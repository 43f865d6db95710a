"""Password reset by e-mail with Django's own views: the link from the outbox works once, a
tampered one is refused, and the request form is throttled (per address asked for, per client)."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.support.servers import redis_caches

# Account e-mails leave by a task sent when the request's transaction commits: commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

RESET = reverse("accounts:password_reset")
LOGIN = reverse("accounts:login")
GOOD = "a sturdy passphrase"
NEW = "a brand new passphrase"
PER_RECIPIENT = settings.MARKETPLACE["accounts"]["mails_per_recipient"]
PER_CLIENT = settings.MARKETPLACE["accounts"]["mails_per_client"]


def reset_link(message) -> str:
    return re.search(r"https?://testserver(/accounts/password/reset/\S+/)", message.body).group(1)


def test_the_login_page_links_to_it(client):
    assert f'href="{RESET}"' in client.get(LOGIN).content.decode()


def test_a_reset_through_the_link_in_the_mail_works_once(client, make_user):
    make_user("alice")
    sent = client.post(RESET, {"email": "ALICE@example.com"})
    assert sent.status_code == 302 and sent["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    link = reset_link(mail.outbox[0])

    form_page = client.get(link)  # Django moves the token into the session, then shows the form
    assert form_page.status_code == 302
    set_password = form_page["Location"]
    weak = client.post(set_password, {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 400 and "Use at least 10 characters" in weak.content.decode()
    done = client.post(set_password, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")

    assert Client().post(LOGIN, {"username": "alice", "password": NEW}).status_code == 302
    assert Client().post(LOGIN, {"username": "alice", "password": GOOD}).status_code == 400

    for again in (link, set_password):  # the same link a second time, from any browser
        for browser in (client, Client()):
            refused = browser.get(again, follow=True)
            assert refused.status_code == 400 and "This reset link is not valid" in refused.content.decode()


def test_a_tampered_link_is_refused(client, make_user):
    make_user("alice")
    client.post(RESET, {"email": "alice@example.com"})
    link = reset_link(mail.outbox[0])
    uid, token = link.rstrip("/").split("/")[-2:]
    forged = link.replace(token, token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"))
    refused = client.get(forged, follow=True)
    assert refused.status_code == 400 and "This reset link is not valid" in refused.content.decode()
    other = make_user("bob")
    assert Client().get(link.replace(uid, str(other.pk)), follow=True).status_code == 400


def test_nothing_tells_whether_an_address_has_an_account(client, make_user):
    make_user("carol", email_verified=False)
    for email in ("nobody@example.com", "carol@example.com"):
        response = client.post(RESET, {"email": email})
        assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    # No account has the first; the second was never confirmed by its owner: no mail either way.
    assert mail.outbox == []


def test_one_address_gets_a_few_mails_then_none(make_user):
    make_user("alice")
    for n in range(PER_RECIPIENT):
        assert Client(REMOTE_ADDR=f"198.51.100.{n}").post(RESET, {"email": "alice@example.com"}).status_code == 302
    refused = Client(REMOTE_ADDR="203.0.113.9").post(RESET, {"email": "Alice@Example.com"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many e-mails" in refused.content.decode()
    assert len(mail.outbox) == PER_RECIPIENT


def test_one_client_may_ask_for_a_few_addresses_then_none(make_user):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(PER_CLIENT):
        assert client.post(RESET, {"email": f"someone{n}@example.com"}).status_code == 302
    assert client.post(RESET, {"email": "another@example.com"}).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.1").post(RESET, {"email": "another@example.com"}).status_code == 302


def test_the_limit_holds_with_redis_down(make_user, private_redis, settings):
    make_user("alice")
    production_like = redis_caches(private_redis.url, ignore_exceptions=True)
    production_like["default"]["BACKEND"] = "marketplace.cache.InstrumentedRedisCache"
    settings.CACHES = production_like
    private_redis.stop()
    statuses = [Client().post(RESET, {"email": "alice@example.com"}).status_code for _ in range(PER_RECIPIENT + 2)]
    assert statuses == [302] * PER_RECIPIENT + [429, 429]
    assert len(mail.outbox) == PER_RECIPIENT


@pytest.mark.parametrize("email", ["", "not-an-email", "a" * 300 + "@example.com", "x\x00@example.com"])
def test_bad_input_is_a_form_error(client, email):
    response = client.post(RESET, {"email": email})
    assert response.status_code == 400 and "field-error" in response.content.decode()
    assert mail.outbox == []
