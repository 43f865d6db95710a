"""The wallet pages through Django's test client: every outcome, and never a 500."""

import re

import pytest
from django.urls import reverse

from marketplace.wallets.models import Account, JournalEntry, Withdrawal
from tests.support.accounts import signed_in_recently

pytestmark = pytest.mark.django_db

WALLET = reverse("wallets:wallet")
WITHDRAW = reverse("wallets:withdraw")
QUEUE = reverse("wallets:queue")
FINANCE = reverse("wallets:finance")
OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


@pytest.fixture
def alice(make_user, fund, client):
    user = make_user("alice")
    fund(user, 1_500_000)
    client.force_login(user)
    signed_in_recently(client)  # withdrawals ask for a recent password (marketplace/accounts/reauth.py)
    return user


@pytest.fixture
def staff_client(staff_user, staff_client_for):
    return staff_client_for(staff_user)


@pytest.fixture
def client_factory():
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


def form_key(response) -> str:
    return re.search(rb'name="idempotency_key" value="([0-9a-f]+)"', response.content).group(1).decode()


def available(user) -> int:
    return Account.objects.filter(user=user, kind="user").values_list("balance_sat", flat=True).first() or 0


def test_wallet_page_shows_balance_address_qr_and_history(client, alice):
    response = client.get(WALLET)
    assert response.status_code == 200
    html = response.content.decode()
    assert "0.01500000" in html
    assert re.search(r'id="deposit-address">bcrt1q[0-9a-z]{38}<', html)
    assert '<svg role="img"' in html and "<path" in html
    assert "Deposit" in html and 'id="history"' in html
    # the header shows the balance through the context processor
    assert re.search(
        r'class="nav-balance"[^>]*><svg class="btc-icon" [^>]*aria-label="BTC">.*?</svg> 0.01500000<', html
    )


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (WALLET, WITHDRAW, QUEUE, FINANCE):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_history_is_paginated_with_a_fixed_number_of_queries(
    client, alice, make_user, wallet_service, django_assert_max_num_queries
):
    bob = make_user("bob")
    for n in range(60):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=10 + n, idempotency_key=f"h-{n}")
    client.get(WALLET)  # the deposit address is handed out on the first visit
    # (the header asks two of them: whether they have a shop, and their unread notifications)
    with django_assert_max_num_queries(14):
        first = client.get(WALLET)
    with django_assert_max_num_queries(14):
        last = client.get(WALLET + "?page=3")
    assert "Page 1 of 3" in first.content.decode() and "Page 3 of 3" in last.content.decode()
    for page in ("999", "abc", "-1", "1" * 40):
        assert client.get(WALLET + f"?page={page}").status_code == 200


def test_the_balance_context_costs_one_query_and_nothing_for_visitors(client, alice, django_assert_num_queries):
    from django.template import RequestContext, Template
    from django.test import RequestFactory

    from marketplace.wallets.context_processors import user_balance

    request = RequestFactory().get("/")
    request.user = alice
    context = user_balance(request)
    with django_assert_num_queries(1):
        assert context["user_balance"].btc == "0.01500000"
        assert str(context["user_balance"]) == "0.01500000"
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert user_balance(request) == {}
    # the seed guide's spelling works in any template
    request.user = alice
    rendered = Template("{{ user_balance.btc }} BTC").render(RequestContext(request, {}))
    assert rendered == "0.01500000 BTC"


def test_withdraw_form_requests_a_withdrawal_once(client, alice):
    page = client.get(WITHDRAW)
    assert page.status_code == 200
    data = {"address": OUTSIDE, "amount": "0.001", "idempotency_key": form_key(page)}
    response = client.post(WITHDRAW, data)
    assert response.status_code == 302 and response["Location"] == WALLET
    again = client.post(WITHDRAW, data)  # a double click
    assert again.status_code == 302
    assert Withdrawal.objects.count() == 1
    assert available(alice) == 1_500_000 - 100_000 - 2_000
    wallet = client.get(WALLET).content.decode()
    assert "Waiting for review" in wallet and "0.00102000" in wallet


@pytest.mark.parametrize(
    "amount, address, message",
    [
        ("", OUTSIDE, "This field is required"),
        ("0", OUTSIDE, "The smallest amount"),
        ("-0.1", OUTSIDE, "The smallest amount"),
        ("abc", OUTSIDE, "Enter an amount in BTC"),
        ("0.000000001", OUTSIDE, "at most 8 decimal places"),
        ("1e5", OUTSIDE, "Enter an amount in BTC"),
        ("99999999999", OUTSIDE, "more bitcoin than will ever exist"),
        ("0.00001", OUTSIDE, "The smallest withdrawal is 0.00010000 BTC"),
        ("1", OUTSIDE, "Insufficient funds"),
        (
            "0.001",
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
            "not a valid Regtest bitcoin address",
        ),
        ("0.001", "hello", "not a valid Regtest bitcoin address"),
        ("0.001", "x" * 500, "at most 90 characters"),
        ("0.001", "", "This field is required"),
    ],
)
def test_withdraw_bad_input_is_a_400_with_a_message_and_changes_nothing(client, alice, amount, address, message):
    page = client.get(WITHDRAW)
    response = client.post(WITHDRAW, {"address": address, "amount": amount, "idempotency_key": form_key(page)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Withdrawal.objects.exists() and available(alice) == 1_500_000


def test_withdraw_without_or_with_a_bogus_key_is_a_400(client, alice):
    assert client.post(WITHDRAW, {"address": OUTSIDE, "amount": "0.001"}).status_code == 400
    assert (
        client.post(WITHDRAW, {"address": OUTSIDE, "amount": "0.001", "idempotency_key": "x" * 65}).status_code == 400
    )
    assert not Withdrawal.objects.exists()


def test_users_cannot_cancel_each_others_withdrawals(
    client, alice, make_user, make_staff, client_factory, wallet_service
):
    result = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=50_000, idempotency_key="p"
    )
    mallory = client_factory(make_user("mallory"))
    url = reverse("wallets:cancel-withdrawal", args=[result.withdrawal_id])
    assert mallory.post(url).status_code == 404
    assert "bcrt1qw508" not in mallory.get(WALLET).content.decode()
    assert client.get(url).status_code == 405  # state changes are POST only
    assert client.post(reverse("wallets:cancel-withdrawal", args=[999_999])).status_code == 404
    assert client.post("/wallets/withdrawals/99999999999999999999999/cancel/").status_code == 404
    assert Withdrawal.objects.get().status == "pending"
    assert client.post(url).status_code == 302
    assert Withdrawal.objects.get().status == "cancelled"
    assert client.post(url).status_code == 302  # cancelling twice is harmless
    assert available(alice) == 1_500_000
    rejected = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=50_000, idempotency_key="r"
    )
    staff = make_staff("finance", username="boss")
    wallet_service.reject_withdrawal(staff_user_id=staff.pk, withdrawal_id=rejected.withdrawal_id, reason="risk")
    refused = client.post(reverse("wallets:cancel-withdrawal", args=[rejected.withdrawal_id]))
    assert refused.status_code == 400 and "already rejected" in refused.content.decode()


def test_staff_pages_are_for_finance_staff_only(client, alice, wallet_service):
    result = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=50_000, idempotency_key="q"
    )
    assert client.get(QUEUE).status_code == 403
    assert client.get(FINANCE).status_code == 403
    approve = reverse("wallets:approve", args=[result.withdrawal_id])
    assert client.post(approve, {"txid": "ab" * 32}).status_code == 403
    assert client.post(reverse("wallets:reject", args=[result.withdrawal_id]), {"reason": "x"}).status_code == 403
    assert Withdrawal.objects.get().status == "pending"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_staff_approve_and_reject_from_the_finance_page(
    staff_client, alice, make_user, wallet_service, django_assert_max_num_queries
):
    first = wallet_service.request_withdrawal(user_id=alice.pk, address=OUTSIDE, amount_sat=50_000, idempotency_key="1")
    second = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=60_000, idempotency_key="2"
    )
    with django_assert_max_num_queries(16):
        page = staff_client.get(FINANCE)
    assert page.status_code == 200 and f'id="withdrawal-{first.withdrawal_id}"' in page.content.decode()
    bad = staff_client.post(reverse("wallets:approve", args=[first.withdrawal_id]), {"txid": "zz" * 32})
    assert bad.status_code == 400 and "64 hexadecimal" in bad.content.decode()
    short = staff_client.post(reverse("wallets:approve", args=[first.withdrawal_id]), {"txid": "ab"})
    assert short.status_code == 400
    missing = staff_client.post(reverse("wallets:approve", args=[first.withdrawal_id]), {"txid": ""})
    assert missing.status_code == 400 and "send the bitcoin, then approve with the transaction id" in (
        missing.content.decode()
    )
    ok = staff_client.post(reverse("wallets:approve", args=[first.withdrawal_id]), {"txid": "ab" * 32}, follow=True)
    assert ok.redirect_chain == [(FINANCE, 302)] and messages_of(ok) == [
        f"Withdrawal #{first.withdrawal_id} marked as sent."
    ]
    assert staff_client.post(reverse("wallets:reject", args=[second.withdrawal_id]), {"reason": ""}).status_code == 400
    rejected = staff_client.post(
        reverse("wallets:reject", args=[second.withdrawal_id]), {"reason": "risk"}, follow=True
    )
    assert rejected.redirect_chain == [(FINANCE, 302)]
    assert messages_of(rejected) == [f"Withdrawal #{second.withdrawal_id} rejected; the funds went back to the user."]
    again = staff_client.post(reverse("wallets:reject", args=[first.withdrawal_id]), {"reason": "late"}, follow=True)
    assert again.redirect_chain == [(FINANCE, 302)]
    assert messages_of(again) == ["This withdrawal is already sent."]
    assert staff_client.post(reverse("wallets:approve", args=[424242]), {"txid": "ab" * 32}).status_code == 404
    assert dict(Withdrawal.objects.values_list("id", "status")) == {
        first.withdrawal_id: "sent",
        second.withdrawal_id: "rejected",
    }
    assert available(alice) == 1_500_000 - 50_000 - 2_000
    sent = staff_client.get(QUEUE + "?status=sent").content.decode()
    assert "ab" * 32 in sent
    assert staff_client.get(QUEUE + "?status=bogus&page=x").status_code == 200


def test_a_csrf_token_is_required(alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(WITHDRAW, {"address": OUTSIDE, "amount": "0.001", "idempotency_key": "k"})
    assert response.status_code == 403
    assert not JournalEntry.objects.filter(kind="withdrawal_request").exists()
