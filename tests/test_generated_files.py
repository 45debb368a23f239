"""Generated files: the invoice PDF the shop draws for an order, downloaded later."""

import pytest

from harness import PASSWORD, Visitor


def a_product(replica) -> int:
    """A product of our own, made by staff on the given replica, so other tests' purchases don't matter."""
    staff = Visitor(replica.url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    return product_id


def test_when_an_invoice_is_generated_on_one_replica_then_the_other_can_download_it(topology):
    """You order and have your invoice drawn on replica A; logged in on replica B too, you can download it there."""
    product_id = a_product(topology.replica(0))
    on_a = Visitor(topology.replica(0).url)
    username = on_a.sign_up()
    order_id = on_a.place_order(product_id)
    on_a.generate_invoice(order_id)

    on_b = Visitor(topology.replica(1).url)
    assert on_b.log_in(username, PASSWORD).status_code == 302
    assert "Download invoice" in on_b.get(f"/orders/{order_id}/").text
    download = on_b.get(f"/orders/{order_id}/invoice/")

    assert download.status_code == 200, download.text[:300]
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")


@pytest.mark.load_balanced
def test_when_shopping_through_the_load_balancer_then_the_invoice_downloads_every_time(topology):
    """Through the load balancer you order, have the invoice drawn, and download it again and again."""
    product_id = a_product(topology.replica(0))
    visitor = Visitor(topology.url)
    visitor.sign_up()
    order_id = visitor.place_order(product_id)

    visitor.generate_invoice(order_id)
    page = visitor.get(f"/orders/{order_id}/")
    downloads = [visitor.get(f"/orders/{order_id}/invoice/") for _ in range(4)]

    assert "Download invoice" in page.text
    assert [d.status_code for d in downloads] == [200] * 4
    assert all(d.content.startswith(b"%PDF-") for d in downloads)


def test_someone_elses_invoice_is_not_found(topology):
    """Another customer asking for your invoice gets 404, as if the order did not exist."""
    product_id = a_product(topology.replica(0))
    owner = Visitor(topology.replica(0).url)
    owner.sign_up()
    order_id = owner.place_order(product_id)
    owner.generate_invoice(order_id)

    stranger = Visitor(topology.replica(0).url)
    stranger.sign_up()

    assert stranger.get(f"/orders/{order_id}/invoice/").status_code == 404
