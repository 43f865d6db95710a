"""Security journeys in a real browser: a finance member enrols two-factor sign-in, signs in with a
code and confirms a deposit another finance member proposed (four eyes); a buyer who forgot their
password resets it by the link e-mailed to them.

Only the starting users come from the database (and finance2's authenticator, as staff tests
make one); everything else goes through the pages. The pages run under a Content-Security-Policy
that allows no inline script: the console is watched for anything it blocked.
"""

import re
import time

import pyotp
import pytest
from django.core import mail
from playwright.sync_api import expect

from marketplace.wallets.models import Deposit, JournalEntry
from tests.support.staff import enrol_totp, totp_secret
from tests.support.wallets import fake_txid

HOME = re.compile(r"^https?://[^/]+/$")  # where signing in leads

pytestmark = [pytest.mark.django_db(transaction=True)]

STEP = 30  # seconds a TOTP code lasts (django-otp's default, and pyotp's)
PASSWORD = "a sturdy passphrase"  # make_user's
CSP_WORDS = ("content security policy", "content-security-policy", "refused to")


# helpers
@pytest.fixture
def console_errors(page):
    """Every console error the pages print, in order (Chromium reports CSP blocks there)."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"))
    return errors


def assert_no_csp_errors(errors: list[str], where: str) -> None:
    blocked = [e for e in errors if any(word in e.lower() for word in CSP_WORDS)]
    assert not blocked, f"Content-Security-Policy errors in the console on {where}: {blocked}"


def fill_form(page, **fields):
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)


def step_of(moment: float) -> int:
    return int(moment) // STEP


def code_now(secret: str) -> tuple[str, int]:
    """The code the authenticator shows now, and its time step."""
    moment = time.time()
    return pyotp.TOTP(secret).at(moment), step_of(moment)


def code_after(secret: str, used_step: int, not_before: float = 0.0) -> tuple[str, int]:
    """A code a person would type next: django-otp takes each step's code once, so wait (as they
    would) for the app to show a new one; and for the throttle after a wrong code to pass."""
    while step_of(time.time()) <= used_step or time.time() < not_before:
        time.sleep(0.25)
    return code_now(secret)


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes around now (any of them could be accepted)."""
    totp, moment = pyotp.TOTP(secret), time.time()
    near = {totp.at(moment + offset) for offset in range(-3 * STEP, 4 * STEP, STEP)}
    return next(code for code in ("000000", "123456", "999999", "424242") if code not in near)


def password_step(page, username: str, password: str = PASSWORD) -> None:
    fill_form(page, username=username, password=password)
    page.click("main button:has-text('Sign in')")


def sign_out(page) -> None:
    page.click("button:has-text('Sign out')")
    expect(page.locator(".alert")).to_contain_text("You are signed out")
    expect(page.locator(".site-nav a:text-is('Sign in')")).to_be_visible()


def expect_signed_out(page) -> None:
    expect(page.locator(".site-nav a:text-is('Sign in')")).to_be_visible()
    expect(page.locator(".nav-profile")).to_have_count(0)
    expect(page.locator("button:has-text('Sign out')")).to_have_count(0)


def post_from_page(page, url: str) -> int:
    """POST ``url`` with this page's CSRF token, as a hand-made form would (no redirect followed)."""
    token = page.locator("[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(url, form={"csrfmiddlewaretoken": token}, max_redirects=0)
    return response.status


# 1. two-factor staff sign-in and a deposit through four eyes
def test_finance_enrols_two_factor_signs_in_with_a_code_and_confirms_a_deposit(
    page, look, console_errors, make_user, make_staff
):
    buyer = make_user("buyer")
    finance1 = make_staff("finance", username="finance1")
    finance2 = make_staff("finance", username="finance2")
    secret2 = totp_secret(enrol_totp(finance2))  # finance2 has an authenticator already
    txid = fake_txid("security journey")

    # finance2 signs in (password, then their code) on the way to the Finance page and proposes.
    page.goto("/wallets/finance/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/wallets/finance/$"))
    look("sign-in")
    password_step(page, "finance2")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect_signed_out(page)
    fill_form(page, code=code_now(secret2)[0])
    page.click("main button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/wallets/finance/$"))
    expect(page.locator("h1")).to_have_text("Finance")
    form = page.locator("#propose-deposit")
    form.get_by_label("Username").fill("buyer")
    form.get_by_label("Amount (BTC)").fill("0.025")
    form.get_by_label("Transaction id").fill(txid)
    form.get_by_label("Output index (vout)").fill("0")
    form.locator("button:has-text('Propose')").click()
    expect(page.locator(".alert-success")).to_contain_text("proposed; another member of staff must confirm it")
    deposit = Deposit.objects.get(txid=txid)
    row = page.locator(f"#deposit-{deposit.pk}")
    expect(row).to_contain_text("buyer")
    expect(row).to_contain_text("0.02500000")
    expect(row).to_contain_text("You proposed it: someone else confirms.")
    expect(row.locator("button:has-text('Confirm and credit')")).to_have_count(0)
    look("finance-proposed")

    # The page offers no button for it; a hand-made POST is refused, with a message on the page.
    assert post_from_page(page, f"/wallets/finance/deposits/{deposit.pk}/confirm/") == 302
    page.goto("/wallets/finance/")
    expect(page.locator(".alert-error")).to_contain_text(
        "You proposed this deposit: another member of staff must confirm it."
    )
    assert Deposit.objects.get(pk=deposit.pk).status == "proposed"
    assert_no_csp_errors(console_errors, "the finance page (finance2)")
    sign_out(page)

    # finance1 has no authenticator: the right password leads to setting one up, then back.
    page.goto("/wallets/finance/")
    password_step(page, "finance1")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next=%2Fwallets%2Ffinance%2F$"))
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".alert-info")).to_contain_text("Staff members sign in with a second factor")
    expect(page.locator(".qr svg[role=img]")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    look("two-factor-enrolment")
    assert_no_csp_errors(console_errors, "the enrolment page")
    # Not through yet: the Finance page sends back here until a code is confirmed.
    page.goto("/wallets/finance/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next=%2Fwallets%2Ffinance%2F$"))
    assert page.locator("#totp-secret").inner_text().strip() == secret  # the same secret, not a new one
    code, enrol_step = code_now(secret)
    fill_form(page, code=code)
    page.click("button:has-text('Turn on')")
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    expect(page.locator(".alert-success")).to_contain_text("Two-factor sign-in is on.")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    look("recovery-codes")
    page.click("text=I have saved them, continue")
    expect(page).to_have_url(re.compile(r"/wallets/finance/$"))
    row = page.locator(f"#deposit-{deposit.pk}")
    expect(row).to_contain_text("finance2")
    expect(row.locator("button:has-text('Confirm and credit')")).to_be_visible()
    sign_out(page)

    # Signing in again: the password, then the code page. A wrong code is refused.
    page.goto("/accounts/login/")
    password_step(page, "finance1")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.locator("h1")).to_have_text("Enter your code")
    expect_signed_out(page)
    look("sign-in-code")
    assert_no_csp_errors(console_errors, "the sign-in code page")
    fill_form(page, code=wrong_code(secret))
    page.click("main button:has-text('Sign in')")
    wrong_at = time.time()
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.locator(".field-error")).to_have_text(
        "That code is not right. Check the clock of your phone and try the next one."
    )
    expect_signed_out(page)
    page.goto("/wallets/finance/")  # still nobody: staff pages send to sign in
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    # The right code (a fresh one: the enrolment used this step's; past the 1 s throttle).
    page.goto("/accounts/login/code/")
    code, _ = code_after(secret, enrol_step, not_before=wrong_at + 1.5)
    fill_form(page, code=code)
    page.click("main button:has-text('Sign in')")
    expect(page).to_have_url(HOME)
    page.click(".nav-profile")
    expect(page.locator(".nav-profile")).to_have_text("finance1")
    expect(page.locator("#two-factor")).to_contain_text("10 recovery codes left")

    # The Finance page through the staff menu: finance1 confirms finance2's proposal.
    page.click("#staff-menu summary")
    page.click("#staff-menu a:text-is('Finance')")
    expect(page).to_have_url(re.compile(r"/wallets/finance/$"))
    row = page.locator(f"#deposit-{deposit.pk}")
    expect(row).to_contain_text("buyer")
    expect(row).to_contain_text("finance2")
    look("finance-proposal")
    row.locator("button:has-text('Confirm and credit')").click()
    expect(page.locator(".alert-success")).to_have_text(
        f"Deposit #{deposit.pk} of 0.02500000 BTC confirmed and credited."
    )
    expect(page.locator(f"#deposit-{deposit.pk}")).to_have_count(0)
    expect(page.locator("#staff-actions")).to_contain_text("wallets.deposit_confirmed")
    look("finance")
    assert_no_csp_errors(console_errors, "the finance page (finance1)")
    # The same confirmation sent again (a double click, a back button) credits nothing more.
    assert post_from_page(page, f"/wallets/finance/deposits/{deposit.pk}/confirm/") == 302
    page.goto("/wallets/finance/")
    expect(page.locator(".alert-success")).to_contain_text(f"Deposit #{deposit.pk}")
    expect(page.locator(".alert-success")).to_contain_text("was already confirmed")
    sign_out(page)

    credited = Deposit.objects.get(pk=deposit.pk)
    assert (credited.status, credited.recorded_by_id, credited.reviewed_by_id) == ("credited", finance2.pk, finance1.pk)
    assert JournalEntry.objects.filter(kind="deposit").count() == 1

    # The buyer sees the money, once.
    page.goto("/accounts/login/")
    password_step(page, "buyer")
    expect(page).to_have_url(HOME)
    expect(page.locator(".nav-balance")).to_contain_text("0.02500000")
    page.click(".nav-balance")
    expect(page.locator("#available-balance")).to_have_text("0.02500000 BTC")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Deposit")
    expect(history.first).to_contain_text("+0.02500000")
    look("wallet")
    assert buyer.pk == credited.user_id
    assert_no_csp_errors(console_errors, "the buyer's wallet page")


# 2. a forgotten password, reset by e-mail
def test_a_buyer_resets_a_forgotten_password_by_the_emailed_link(
    page, look, console_errors, live_server, make_user, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    make_user("carol", email="carol@example.com")
    new_password = "a brand new passphrase"

    page.goto("/accounts/login/")
    page.click("text=Forgot your password?")
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/$"))
    expect(page.locator("h1")).to_have_text("Reset your password")
    look("reset-request")
    fill_form(page, email="carol@example.com")
    page.click("button:has-text('Send the link')")
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/sent/$"))
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    look("reset-sent")
    assert_no_csp_errors(console_errors, "the password reset pages")

    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"]
    links = re.findall(r"https?://\S+/accounts/password/reset/[^/\s]+/[^/\s]+/", message.body)
    assert len(links) == 1, message.body
    link = links[0]
    assert link.startswith(live_server.url), (link, live_server.url)  # this site, as the browser reached it

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Choose a new password")
    fill_form(page, new_password1="short", new_password2="short")
    page.click("button:has-text('Set the password')")
    expect(page.locator(".field-error").first).to_be_visible()
    look("new-password-with-errors")
    fill_form(page, new_password1=new_password, new_password2=new_password)
    page.click("button:has-text('Set the password')")
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/$"))
    expect(page.locator("h1")).to_have_text("Your password is set")
    look("reset-done")
    assert_no_csp_errors(console_errors, "the new password page")

    page.click("main a:text-is('Sign in')")
    password_step(page, "carol", PASSWORD)
    expect(page.locator(".alert-error")).to_contain_text("Wrong username or password")
    expect_signed_out(page)
    password_step(page, "carol", new_password)
    expect(page).to_have_url(HOME)
    expect(page.locator(".nav-profile")).to_have_text("carol")
    sign_out(page)

    # The link worked once.
    response = page.goto(link)
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("Choose a new password")
    expect(page.locator(".alert-error")).to_have_text(
        "This reset link is not valid: it was used already, has expired, or was altered."
    )
    expect(page.locator("[name=new_password1]")).to_have_count(0)
    expect(page.locator("a:text-is('Ask for a new link')")).to_be_visible()
    look("reset-link-used")
    assert len(mail.outbox) == 1
    assert_no_csp_errors(console_errors, "the used reset link")
