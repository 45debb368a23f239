"""One journey in a real browser, through the load balancer: what a workshop attendee sees."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness import PASSWORD, Visitor

SCREENSHOTS = Path(__file__).resolve().parent.parent / ".results"


# Enough to show the contrast; the other topologies are covered by the HTTP tests.
@pytest.mark.topologies("before-2", "after-2")
@pytest.mark.load_balanced
def test_in_a_browser_you_stay_logged_in_keep_your_cart_and_see_stock_change_live(topology, chromium):
    """In Chromium you log in, fill your cart, reload a few times, and see a stock change arrive without reloading."""
    staff = Visitor(topology.replica(1).url)  # staff works on replica B, the customer goes through nginx
    staff.log_in_as_staff()
    product_id, slug = staff.create_product(stock=10)
    username = Visitor(topology.url).sign_up()
    context = chromium.new_context(base_url=topology.url)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.goto(f"/products/{slug}/")
        page.click("text=Add to cart")

        for _ in range(4):
            page.goto("/cart/")
            expect(page.get_by_test_id("username")).to_have_text(username)
            expect(page.locator(f'[data-testid="cart-line"][data-product-id="{product_id}"]')).to_have_count(1)

        page.goto(f"/products/{slug}/")
        expect(page.get_by_test_id("stock")).to_have_text("10")
        staff.post(f"/staff/products/{product_id}/stock/", {"stock": "7"})
        expect(page.get_by_test_id("stock")).to_have_text("7", timeout=10_000)
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"browser-{topology.name}.png", full_page=True)
        context.close()
