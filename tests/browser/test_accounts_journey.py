"""A person registers, signs out, mistypes, signs in, edits their profile and turns on two-factor
sign-in, in a real browser."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

HOME = re.compile(r"^https?://[^/]+/$")  # where signing in leads

pytestmark = pytest.mark.django_db(transaction=True)


def fill_form(page, **fields):
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)


def test_register_sign_out_sign_in_and_edit_profile(page, look):
    page.goto("/")
    look("home")
    page.click("text=Create account")
    expect(page.locator("h1")).to_have_text("Create an account")

    fill_form(page, username="alice", email="alice@example.com", password="short", password_again="short")
    page.click("button:has-text('Create account')")
    expect(page.locator(".field-error").first).to_contain_text("Use at least 10 characters")
    look("register-with-errors")

    fill_form(page, password="a sturdy passphrase", password_again="a sturdy passphrase")
    page.click("button:has-text('Create account')")
    expect(page).to_have_url(HOME)
    expect(page.locator(".alert-success")).to_contain_text("Welcome, alice")

    page.click("button:has-text('Sign out')")
    expect(page.locator(".alert")).to_contain_text("You are signed out")

    page.click("text=Sign in")
    fill_form(page, username="alice", password="not the password")
    page.click("button:has-text('Sign in')")
    expect(page.locator(".alert-error")).to_contain_text("Wrong username or password")
    look("sign-in-refused")

    fill_form(page, username="alice", password="a sturdy passphrase")
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)
    page.click(".nav-profile")

    fill_form(page, display_name="Alice the Buyer", bio="<b>not bold</b>")
    page.click("button:has-text('Save profile')")
    expect(page.locator("#profile-name")).to_have_text("Alice the Buyer")
    expect(page.locator(".bio")).to_have_text("<b>not bold</b>")
    expect(page.locator(".site-nav")).to_contain_text("Alice the Buyer")
    look("profile")


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(page, look, make_user):
    make_user("bob")
    page.goto("/accounts/password/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    fill_form(page, username="bob", password="a sturdy passphrase")
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.locator("h1")).to_have_text("Change your password")
    look("password")


def test_turn_on_two_factor_then_sign_in_with_a_code(page, look, make_user):
    make_user("bob")
    page.goto("/accounts/login/")
    fill_form(page, username="bob", password="a sturdy passphrase")
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)
    page.click(".nav-profile")

    page.click("text=Turn on two-factor sign-in")
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    look("two-factor-setup")
    fill_form(page, code=pyotp.TOTP(secret).now())
    page.click("button:has-text('Turn on')")
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    look("recovery-codes")
    page.click("text=I have saved them, continue")
    expect(page.locator("#two-factor")).to_contain_text("10 recovery codes left")

    page.click("button:has-text('Sign out')")
    page.click("text=Sign in")
    fill_form(page, username="bob", password="a sturdy passphrase")
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    look("sign-in-code")
    fill_form(page, code=pyotp.TOTP(secret).at(time.time() + 30))  # the next code: each works once
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)
    page.click(".nav-profile")
    expect(page.locator("#two-factor")).to_contain_text("On: signing in asks a code")
