"""A buyer's deposit goes through four eyes on the finance page, then the buyer withdraws and
finance staff send it."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from marketplace.wallets.models import Deposit, Withdrawal
from tests.support.staff import verified_client
from tests.support.wallets import fake_txid

HOME = re.compile(r"^https?://[^/]+/$")  # where signing in leads

pytestmark = [pytest.mark.django_db(transaction=True)]

OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.fill("[name=username]", user.username)
    page.fill("[name=password]", user.raw_password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)


def as_staff(page, user, live_server):
    """Staff sign in with a second factor (the accounts journey drives that page); here the
    browser takes over a session that already passed it."""
    session = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])


def test_deposit_through_four_eyes_then_withdrawal_sent(page, look, live_server, make_user, make_staff):
    alice = make_user("alice")
    fran, tess = make_staff("finance", username="fran"), make_staff("finance", username="tess")
    txid = fake_txid()

    as_staff(page, fran, live_server)
    page.goto("/wallets/finance/")
    expect(page.locator("#backend-note")).to_contain_text("no bitcoin node to check these")
    form = page.locator("#propose-deposit")
    form.locator("[name=user]").fill("alice")
    form.locator("[name=amount]").fill("0.025")
    form.locator("[name=txid]").fill(txid)
    form.locator("[name=vout]").fill("0")
    form.locator("button:has-text('Propose')").click()
    expect(page.locator(".alert-success")).to_contain_text("proposed; another member of staff must confirm it")
    row = page.locator("#proposals tbody tr").first
    expect(row).to_contain_text("You proposed it: someone else confirms.")
    expect(row.locator("button:has-text('Confirm and credit')")).to_have_count(0)
    look("finance-proposed")

    as_staff(page, tess, live_server)
    page.goto("/wallets/finance/")
    page.locator("#proposals tbody tr").first.locator("button:has-text('Confirm and credit')").click()
    expect(page.locator(".alert-success")).to_contain_text("confirmed and credited")
    expect(page.locator("#staff-actions")).to_contain_text("wallets.deposit_confirmed")
    assert Deposit.objects.get().status == "credited"

    page.context.clear_cookies()
    sign_in(page, alice)
    expect(page.locator(".nav-balance")).to_contain_text("0.02500000")
    page.click(".nav-balance")
    expect(page.locator("#available-balance")).to_contain_text("0.02500000")
    expect(page.locator("#deposit-address")).to_have_text(re.compile(r"^bcrt1q[0-9a-z]{38}$"))
    expect(page.locator(".qr svg[role=img]")).to_be_visible()
    look("wallet")

    page.click("a.button:text-is('Withdraw')")
    page.fill("[name=address]", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu")
    page.fill("[name=amount]", "0.01")
    page.click("button:has-text('Request withdrawal')")
    expect(page.locator(".field-error")).to_contain_text("not a valid Regtest bitcoin address")
    look("withdraw-with-errors")

    page.fill("[name=address]", OUTSIDE)
    page.click("button:has-text('Request withdrawal')")
    expect(page.locator(".alert-success")).to_contain_text("Withdrawal of 0.01000000 BTC requested")
    expect(page.locator("#available-balance")).to_contain_text("0.01498000")
    expect(page.locator("#pending-withdrawals")).to_contain_text("0.01002000")
    look("wallet-withdrawal-pending")

    as_staff(page, tess, live_server)
    page.goto("/wallets/finance/")
    row = page.locator("#queue tbody tr").first
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text("0 of 1")
    look("finance-withdrawal-queue")
    row.locator("[name=txid]").fill("cd" * 32)
    row.locator("button:has-text('Mark sent')").click()
    expect(page.locator(".alert-success")).to_contain_text("marked as sent")
    assert Withdrawal.objects.get().status == "sent"
