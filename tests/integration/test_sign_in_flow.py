"""Where signing in and registering lead (``next`` of this site only, else home), and the nav's
"Sell here" / "My shop"."""

from urllib.parse import urlencode

import pyotp
import pytest
from django.template import RequestContext, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.support.staff import enrol_totp, totp_secret

pytestmark = pytest.mark.django_db

HOME = reverse("home")
LOGIN = reverse("accounts:login")
REGISTER = reverse("accounts:register")
APPLY = reverse("vendors:apply")
DASHBOARD = reverse("vendors:dashboard")
GOOD = "a sturdy passphrase"
HOSTILE = ["//evil.example/", "https://evil.example/", "javascript:alert(1)", "http:///evil.example", "/\\evil.example"]


def test_signing_in_without_next_lands_on_the_home_page(client, make_user):
    make_user("alice")
    response = client.post(LOGIN, {"username": "alice", "password": GOOD})
    assert response.status_code == 302 and response["Location"] == HOME


def test_signing_in_goes_on_to_next_on_this_site(client, make_user):
    make_user("alice")
    response = client.post(LOGIN, {"username": "alice", "password": GOOD, "next": "/products/?q=lamp"})
    assert response["Location"] == "/products/?q=lamp"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_next_of_another_site_or_scheme_leads_home(client, make_user, hostile):
    make_user("alice")
    page = client.get(LOGIN, {"next": hostile})
    assert hostile not in page.content.decode()  # not even carried in the form
    response = client.post(f"{LOGIN}?{urlencode({'next': hostile})}", {"username": "alice", "password": GOOD})
    assert response.status_code == 302 and response["Location"] == HOME


def test_registering_goes_on_to_next_or_home(client):
    form = client.get(REGISTER, {"next": APPLY}).content.decode()
    assert f'<input type="hidden" name="next" value="{APPLY}">' in form
    assert f'href="{LOGIN}?next=%2Fvendors%2Fapply%2F"' in form  # "Sign in" instead keeps it too
    done = client.post(
        REGISTER,
        {"username": "newbie", "email": "n@example.com", "password": GOOD, "password_again": GOOD, "next": APPLY},
    )
    assert done.status_code == 302 and done["Location"] == APPLY
    assert client.get(REGISTER, {"next": "https://evil.example/"})["Location"] == HOME  # signed in already


@pytest.mark.parametrize("hostile", HOSTILE[:3])
def test_registering_with_a_hostile_next_leads_home(hostile):
    client = Client()
    done = client.post(
        REGISTER,
        {"username": "newbie", "email": "n@example.com", "password": GOOD, "password_again": GOOD, "next": hostile},
    )
    assert done.status_code == 302 and done["Location"] == HOME


@pytest.mark.parametrize(("asked", "lands"), [(APPLY, APPLY), ("https://evil.example/", HOME), (None, HOME)])
def test_the_authenticator_step_carries_next(client, make_user, asked, lands):
    device = enrol_totp(make_user("alice"))
    data = {"username": "alice", "password": GOOD, **({"next": asked} if asked else {})}
    assert client.post(LOGIN, data)["Location"] == reverse("accounts:login_code")
    done = client.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(totp_secret(device)).now()})
    assert done.status_code == 302 and done["Location"] == lands


def test_a_visitor_is_offered_to_sell_through_sign_in(client):
    html = client.get(HOME).content.decode()
    assert f'<a href="{LOGIN}?next=%2Fvendors%2Fapply%2F">Sell here</a>' in html
    assert "My shop" not in html


def test_a_buyer_is_offered_the_application_and_a_vendor_their_shop(client, make_user, make_vendor):
    client.force_login(make_user("alice"))
    html = client.get(HOME).content.decode()
    assert f'<a href="{APPLY}">Sell here</a>' in html and "My shop" not in html
    client.force_login(make_vendor("bob"))
    html = client.get(HOME).content.decode()
    assert f'<a href="{DASHBOARD}">My shop</a>' in html and "Sell here" not in html
    client.force_login(make_vendor("carol", status="pending"))  # the dashboard tells where it stands
    assert f'<a href="{DASHBOARD}">My shop</a>' in client.get(HOME).content.decode()


@pytest.mark.parametrize("who", ["vendor", "buyer"])
def test_the_shop_entry_asks_one_query_per_request_however_often_drawn(
    make_user, make_vendor, who, django_assert_num_queries
):
    request = RequestFactory().get(HOME)
    request.user = make_vendor("bob") if who == "vendor" else make_user("alice")
    twice = Template('{% include "vendors/_nav_shop.html" %}|{% include "vendors/_nav_shop.html" %}')
    with django_assert_num_queries(1):
        drawn = twice.render(RequestContext(request))
    label = "My shop" if who == "vendor" else "Sell here"
    assert drawn.count(f">{label}</a>") == 2


def test_the_visitor_signs_in_and_lands_on_the_application(client, make_user):
    make_user("alice")
    link = client.get(HOME).content.decode().split('">Sell here</a>')[0].rsplit('href="', 1)[1]
    form = client.get(link.replace("&amp;", "&"))
    assert f'<input type="hidden" name="next" value="{APPLY}">' in form.content.decode()
    done = client.post(link, {"username": "alice", "password": GOOD})
    assert done["Location"] == APPLY and client.get(APPLY).status_code == 200
