"""The whole purchase by keyboard alone: a buyer with a balance signs in, searches the catalog,
adds a product to the cart, checks out and sees the order, with Tab, Shift+Tab, Enter, Space and
typing only (no click, no address typed after the first page); every element the focus passes
through shows that it has it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

# The focus style an element shows: a drawn outline or a shadow, of a colour that is not transparent.
FOCUS_SHOWN = """e => {
  const s = getComputedStyle(e);
  const seen = c => c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && seen(s.outlineColor);
  return outline || (s.boxShadow !== 'none' && seen(s.boxShadow));
}"""
FOCUSED = "() => { const e = document.activeElement; return e ? e.outerHTML.slice(0, 120) : '' }"


class Keyboard:
    """Moves the focus with Tab or Shift+Tab and checks each element it lands on shows it."""

    def __init__(self, page):
        self.page = page
        self.passed: list[str] = []

    def tab_to(self, selector: str, *, back: bool = False, limit: int = 60) -> None:
        key = "Shift+Tab" if back else "Tab"
        for _ in range(limit):
            self.page.keyboard.press(key)
            focused = self.page.locator(":focus")
            if focused.count() == 0:  # the focus left the page's elements (browser chrome): go on
                continue
            name = self.page.evaluate(FOCUSED)
            self.passed.append(name)
            assert focused.evaluate(FOCUS_SHOWN), f"no visible focus on {name} ({self.page.url})"
            if focused.evaluate("(e, s) => e.matches(s)", selector):
                return
        raise AssertionError(f"{limit} presses of {key} never reached {selector} on {self.page.url}")


def test_a_buyer_finds_buys_and_sees_an_order_with_the_keyboard_alone(page, look, market):
    keys = Keyboard(page)
    page.goto("/accounts/login/")  # the one address typed; from here on, keys only

    keys.tab_to("[name=username]")
    page.keyboard.type(market.buyer.username)
    keys.tab_to("[name=password]")
    page.keyboard.type(market.buyer.raw_password)
    page.keyboard.press("Enter")
    expect(page.locator(".nav-balance")).to_contain_text("0.01000000")

    keys.tab_to(".site-nav a[href='/products/']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/products/$"))
    keys.tab_to("#q")
    page.keyboard.type("brass")
    page.keyboard.press("Enter")
    expect(page.locator("#result-count")).to_have_text("1 product")

    keys.tab_to(f".listing-link[href='/products/{market.lamp}/']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/products/{market.lamp}/$"))
    keys.tab_to("#quantity")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    keys.tab_to("#add-to-cart button")
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"/orders/cart/$"))
    expect(page.locator("#cart-total")).to_have_text("0.00240000")

    keys.tab_to("a.button[href='/orders/checkout/']")
    page.keyboard.press("Enter")
    keys.tab_to("#pay")
    keys.tab_to("a, button", back=True)  # one step back and forth again: Shift+Tab works too
    keys.tab_to("#pay")
    page.keyboard.press("Space")
    expect(page.locator(".alert-success")).to_contain_text("Paid 0.00240000 BTC into escrow for 1 order")
    expect(page.locator("#order-state")).to_have_text("Paid, waiting for the vendor")
    expect(page.locator(".nav-balance")).to_contain_text("0.00760000")
    look("order")

    kinds = {re.match(r"<(\w+)", name).group(1) for name in keys.passed}
    assert {"a", "input", "button"} <= kinds, kinds
    assert len(keys.passed) >= 10, keys.passed
