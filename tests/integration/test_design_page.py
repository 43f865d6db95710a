"""The staff page of the design system at /design/: staff only, every component in every state."""

import re

import pytest
from django.urls import reverse

from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db

DESIGN = reverse("design")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(DESIGN)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={DESIGN}"


def test_signed_in_non_staff_get_403(client, make_user):
    client.force_login(make_user())
    response = client.get(DESIGN)
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_only_get_is_allowed(client, make_staff):
    verified_client(make_staff("operator"), client)
    assert client.post(DESIGN).status_code == 405


def test_other_staff_roles_get_403(client, make_staff):
    for role in ("support", "moderator", "finance"):
        verified_client(make_staff(role), client)
        assert client.get(DESIGN).status_code == 403, role


@pytest.fixture
def page(client, make_staff):
    verified_client(make_staff("operator"), client)
    response = client.get(DESIGN)
    assert response.status_code == 200
    return response.content.decode()


def test_staff_see_every_token(page):
    for key in (
        "color.primary",
        "color.input-bg",
        "space.3",
        "text.2xl",
        "radius.pill",
        "font.mono",
    ):
        assert f'data-token="{key}"' in page
    assert "--color-primary" in page and "= color.surface" in page  # a reference shows its target
    assert "is stale" not in page


def test_staff_see_buttons_in_every_state(page):
    buttons = re.findall(r"<button[^>]*>", page)
    assert any("disabled" in b and 'class="danger"' in b for b in buttons)
    assert any("disabled" not in b and 'class="secondary"' in b for b in buttons)
    assert 'class="button" aria-disabled="true"' in page and 'class="button secondary small"' in page


def test_forms_are_rendered_by_the_real_partial_in_each_state(page):
    empty, errors, valid = re.split(r'data-form-state="', page)[1:4]
    assert empty.startswith("empty") and "has-error" not in empty and "field-error" not in empty
    assert errors.startswith("with-errors")
    assert errors.count('class="field has-error"') == 5  # title, email, price, category, agree
    assert "Enter a valid email address." in errors
    assert "Bitcoin amounts have at most 8 decimal places." in errors  # BtcAmountField's own check
    assert 'class="alert alert-error" role="alert">The vendor is not accepting orders right now.' in errors
    assert valid.startswith("valid") and "has-error" not in valid and 'value="Trezor Model T"' in valid
    assert "disabled" in valid  # the read-only shipping field


def test_cards_tables_alerts_and_badges(page):
    assert 'class="card narrow"' in page and 'class="hero card"' in page
    assert '<td class="mono">0.00150000</td>' in page  # amounts through the btc filter
    assert "No orders yet." in page
    for level in ("success", "info", "warning", "error"):
        assert f'<li class="alert alert-{level}">' in page
    for kind in ("up", "degraded", "down"):
        assert f'class="badge badge-{kind}"' in page


def test_staff_nav_links_to_it(client, make_user, make_staff):
    client.force_login(make_staff("operator"))
    assert f'href="{DESIGN}"'.encode() in client.get(reverse("home")).content
    client.force_login(make_user())
    assert f'href="{DESIGN}"'.encode() not in client.get(reverse("home")).content
