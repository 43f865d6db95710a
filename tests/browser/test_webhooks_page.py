"""A vendor registers a webhook endpoint on the page, copies the secret shown once, a sale
reaches their receiver signed with it, and they redeliver it from the endpoint's page."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.webhooks.models import WebhookDelivery, WebhookEndpoint
from services.webhook_service import verify_signature
from tests.integration.test_webhooks import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_register_receive_verify_and_redeliver(
    page, look, marketplace_config, make_vendor, make_user, make_product, fund, place
):
    receiver = Receiver()
    try:
        with marketplace_config(webhooks={"allow_http": True, "allow_private": True}, reload=["webhooks"]):
            dora = make_vendor("dora")
            lantern = make_product(dora, title="Copper storm lantern", stock=1)
            alice = make_user("alice")
            fund(alice, 500_000)

            page.goto("/accounts/login/")
            page.fill("[name=username]", dora.username)
            page.fill("[name=password]", dora.raw_password)
            page.click("button:has-text('Sign in')")
            page.click("nav >> text=Webhooks")
            look("webhooks")
            page.fill("[name=url]", receiver.url + "/dora")
            page.fill("[name=description]", "Dora's stock sheet")
            page.check("input[value='order.funded']")
            page.check("input[value='product.sold_out']")
            page.click("button:has-text('Register endpoint')")
            secret = page.locator("#webhook-secret").inner_text()
            assert secret == WebhookEndpoint.objects.get(owner=dora).secret
            look("secret")

            place(alice, {lantern: 1})  # commits: both events go out
            assert sorted(b["type"] for b in receiver.bodies()) == ["order.funded", "product.sold_out"]
            for request in receiver.requests:
                headers = request["headers"]
                stamp = int(headers["Webhook-Timestamp"])
                assert verify_signature(secret, str(stamp), request["body"], headers["Webhook-Signature"], now=stamp)

            page.click("text=Done")
            expect(page).to_have_url(re.compile(r"/webhooks/\d+/$"))
            assert secret not in page.content()
            expect(page.locator("#deliveries tbody tr")).to_have_count(2)
            expect(page.locator("#deliveries [data-status=succeeded]")).to_have_count(2)
            look("endpoint")
            funded = WebhookDelivery.objects.get(event_type="order.funded")
            page.click(f"#delivery-{funded.pk} button:has-text('Redeliver')")
            expect(page.locator(".alert-success")).to_contain_text("Sending it again.")
            assert len(receiver.requests) == 3
            assert receiver.requests[2]["headers"]["Webhook-Id"] == str(funded.uuid)
            expect(page.locator(f"#delivery-{funded.pk} td").nth(3)).to_have_text("2")
    finally:
        receiver.close()
