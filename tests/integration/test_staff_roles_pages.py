"""Staff roles seen from outside: the staff menu shows each role its own entries, support's order
pages are read-only, operators alone get health details and metrics, and roles are granted with
``manage.py staff_roles`` or seen and filtered in the admin."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from services.staff_access import ROLES
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db

MENU = {
    "support": {"/orders/lookup/"},
    "moderator": {"/vendors/staff/", "/products/moderation/"},
    "finance": {"/orders/disputes/", "/orders/lookup/", "/wallets/finance/", "/wallets/staff/withdrawals/"},
    "operator": {"/ops/", "/design/"},
}


def staff_menu(html: str) -> set[str] | None:
    """The links of the staff menu on a page, or None when there is no menu."""
    found = re.search(r'<details class="staff-menu".*?</details>', html, re.S)
    return set(re.findall(r'href="([^"]+)"', found.group(0))) if found else None


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_menu_shows_each_role_only_its_entries(client, make_staff, role):
    client.force_login(make_staff(role))
    assert staff_menu(client.get("/").content.decode()) == MENU[role]


def test_superusers_see_every_entry_and_other_people_no_menu(client, make_user):
    client.force_login(make_user("alice"))
    page = client.get("/").content.decode()
    assert staff_menu(page) is None and "/ops/" not in page and "/orders/disputes/" not in page
    boss = make_user("boss")
    get_user_model().objects.filter(pk=boss.pk).update(is_superuser=True)
    client.force_login(boss)
    assert staff_menu(client.get("/").content.decode()) == set().union(*MENU.values())


def test_the_menu_has_no_inline_script_or_style(client, make_staff):
    client.force_login(make_staff("finance,operator"))
    page = client.get("/").content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    assert staff_menu(header) and "<script" not in header and "style=" not in header
    assert not re.search(r"\son[a-z]+=", header)  # no inline event handlers either


# support: any order, read-only
@pytest.fixture
def shipped(market, order_in, message_service):
    ref = order_in("shipped")
    message_service.post(actor_id=market.buyer.pk, reference=ref, body="Ring the bell twice, please.")
    return ref


def test_support_finds_and_reads_an_order_but_not_its_private_messages(make_staff, shipped):
    support = verified_client(make_staff("support"))
    assert support.get("/orders/lookup/").status_code == 200
    found = support.get("/orders/lookup/", {"reference": f"  {shipped.lower()} "})
    assert (found.status_code, found["Location"]) == (302, f"/orders/{shipped}/")
    page = support.get(f"/orders/{shipped}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert shipped in html and 'id="messages-private"' in html
    assert "Ring the bell twice" not in html and 'action="/orders/' not in html  # no message form, no buttons
    assert support.get("/orders/lookup/", {"reference": "ORD-00000000"}).status_code == 404
    assert support.get("/orders/lookup/", {"reference": "x" * 41}).status_code == 400
    assert support.get("/orders/disputes/").status_code == 403


def test_support_cannot_act_through_the_pages(make_staff, shipped, market):
    from marketplace.orders.models import Message, Order

    support = verified_client(make_staff("support"))
    answers = [
        support.post(f"/orders/{shipped}/message/", {"body": "Support here."}).status_code,
        support.post(f"/orders/{shipped}/confirm/").status_code,
        support.post(f"/orders/{shipped}/resolve/", {"ruling": "refund", "note": "Not mine to rule."}).status_code,
    ]
    assert answers == [403, 403, 403]
    assert Order.objects.get(reference=shipped).state == "shipped" and Message.objects.count() == 1


def test_finance_reads_the_thread_of_a_disputed_order_and_rules(make_staff, shipped, market, order_service):
    order_service.open_dispute(actor_id=market.buyer.pk, reference=shipped, reason="It never arrived at all.")
    finance = verified_client(market.staff)
    html = finance.get(f"/orders/{shipped}/").content.decode()
    assert "Ring the bell twice" in html and 'id="resolve-form"' in html
    response = finance.post(f"/orders/{shipped}/resolve/", {"ruling": "refund", "note": "Never arrived."})
    assert response.status_code == 302


def test_staff_see_and_change_orders_only_with_their_second_factor(make_staff, shipped, market, order_service):
    from marketplace.orders.models import Message

    client = Client()
    client.force_login(make_staff("support"))
    response = client.get(f"/orders/{shipped}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    order_service.open_dispute(actor_id=market.buyer.pk, reference=shipped, reason="It never arrived at all.")
    finance = Client()
    finance.force_login(market.staff)
    response = finance.post(f"/orders/{shipped}/message/", {"body": "Finance, not yet verified."})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    assert Message.objects.count() == 1


# operators: health details and metrics
def test_only_an_operator_with_a_second_factor_gets_health_details_and_metrics(make_staff, settings, fresh_health):
    settings.METRICS_PUBLIC = False
    for role in ROLES:
        client = verified_client(make_staff(role))
        details = "components" in client.get("/health/").json()
        metrics = client.get("/metrics").status_code
        assert (details, metrics) == ((True, 200) if role == "operator" else (False, 401)), role
    unverified = Client()
    unverified.force_login(make_staff("operator"))
    assert "components" not in unverified.get("/health/").json()
    assert unverified.get("/metrics").status_code == 401


# granting roles
def run(*args) -> str:
    out = StringIO()
    call_command("staff_roles", *args, stdout=out)
    return out.getvalue().strip()


def test_the_staff_roles_command_shows_sets_and_clears_roles(make_user):
    alice = make_user("alice")
    assert run("alice") == "alice: no staff role"
    assert run("ALICE", "--set", "finance, support") == "alice: support, finance"
    alice.refresh_from_db()
    assert alice.is_staff and alice.has_perm("accounts.rule_disputes") and not alice.has_perm("accounts.operate")
    assert run("alice", "--set", "operator") == "alice: operator"
    assert run("alice", "--clear") == "alice: no staff role"
    alice = get_user_model().objects.get(pk=alice.pk)
    assert not alice.is_staff and not alice.has_perm("accounts.operate")


@pytest.mark.parametrize(
    "args, message",
    [
        (["nobody"], "no user named 'nobody'"),
        (["alice", "--set", "wizard"], "Unknown role(s): wizard"),
        (["alice", "--set", " , "], "--set needs at least one role"),
    ],
)
def test_the_staff_roles_command_refuses_clearly(make_user, args, message):
    make_user("alice")
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
    assert get_user_model().objects.get(username="alice").groups.count() == 0


def test_the_admin_lists_users_with_their_roles_and_filters_by_role(make_user, make_staff):
    make_user("alice")
    make_staff("moderator", username="mo")
    make_staff("support,finance", username="fran")
    boss = make_user("boss")
    get_user_model().objects.filter(pk=boss.pk).update(is_superuser=True, is_staff=True)
    admin = verified_client(boss)
    listing = admin.get("/admin/accounts/user/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "staff role" in html and "finance, support" in html
    filtered = admin.get("/admin/accounts/user/", {"role": "finance"}).content.decode()
    assert "fran" in filtered and ">mo<" not in filtered and ">alice<" not in filtered
