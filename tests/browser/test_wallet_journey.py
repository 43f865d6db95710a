"""A buyer sees their balance and deposit address, asks for a withdrawal; staff send it."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.wallets.models import Withdrawal

pytestmark = pytest.mark.django_db(transaction=True)

OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.fill("[name=username]", user.username)
    page.fill("[name=password]", user.raw_password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))


def test_withdrawal_from_request_to_staff_approval(page, make_user, fund, staff_user):
    alice = make_user("alice")
    fund(alice, 2_500_000)
    sign_in(page, alice)
    expect(page.locator(".nav-balance")).to_have_text("₿ 0.02500000")
    page.click(".nav-balance")
    expect(page.locator("#available-balance")).to_contain_text("0.02500000")
    expect(page.locator("#deposit-address")).to_have_text(re.compile(r"^bcrt1q[0-9a-z]{38}$"))
    expect(page.locator(".qr svg[role=img]")).to_be_visible()

    page.click("a.button:text-is('Withdraw')")
    page.fill("[name=address]", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu")
    page.fill("[name=amount]", "0.01")
    page.click("button:has-text('Request withdrawal')")
    expect(page.locator(".field-error")).to_contain_text("not a valid Regtest bitcoin address")

    page.fill("[name=address]", OUTSIDE)
    page.click("button:has-text('Request withdrawal')")
    expect(page.locator(".alert-success")).to_contain_text("Withdrawal of 0.01000000 BTC requested")
    expect(page.locator("#available-balance")).to_contain_text("0.01498000")
    expect(page.locator("#pending-withdrawals")).to_contain_text("0.01002000")

    page.click("button:has-text('Sign out')")
    sign_in(page, staff_user)
    page.click(".site-nav a:text-is('Withdrawals')")
    row = page.locator("#queue tbody tr").first
    expect(row).to_contain_text("alice")
    row.locator("[name=txid]").fill("cd" * 32)
    row.locator("button:has-text('Mark sent')").click()
    expect(page.locator(".alert-success")).to_contain_text("marked as sent")
    assert Withdrawal.objects.get().status == "sent"
