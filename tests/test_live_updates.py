"""Live updates: open pages follow stock figures and order statuses over WebSockets."""

from __future__ import annotations

import json
import re
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.client import Visitor


def open_socket(target, path: str, *, visitor: Visitor | None = None, origin: str | None = None) -> ClientConnection:
    """A WebSocket to `target` (a replica or the load balancer), as a page from that site opens it."""
    base = getattr(target, "url", target)
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in visitor.http.cookies) if visitor else ""
    return connect(
        base.replace("http://", "ws://") + path,
        origin=origin or base,
        additional_headers={"Cookie": cookies} if cookies else None,
        open_timeout=10,
    )


def next_message(socket: ClientConnection, timeout: float = 10.0) -> dict:
    return json.loads(socket.recv(timeout=timeout))


def messages_until(socket: ClientConnection, wanted, *, deadline: float = 10.0) -> list[dict]:
    """Every message received until one is `wanted`, or the deadline passes (recv waits; nothing sleeps)."""
    seen: list[dict] = []
    end = time.monotonic() + deadline
    while not (seen and wanted(seen[-1])):
        try:
            seen.append(next_message(socket, timeout=max(end - time.monotonic(), 0.01)))
        except TimeoutError:
            break
    return seen


def place_order(customer: Visitor, product_id: int) -> int:
    assert customer.add_to_cart(product_id, 1).status_code == 302
    checkout = customer.check_out()
    placed = re.fullmatch(r"/orders/(\d+)/", checkout.headers.get("Location", ""))
    assert checkout.status_code == 302 and placed, f"checkout: {checkout.status_code} {checkout.text[:300]}"
    return int(placed.group(1))


def test_when_stock_changes_on_one_replica_then_a_viewer_on_the_other_sees_it(topology):
    """You watch a product page on replica A; staff change its stock on replica B; your page shows the new figure."""
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)

    with open_socket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        first = next_message(socket)
        changed = staff.post(f"/staff/products/{product_id}/stock/", {"stock": "42"})
        seen = messages_until(socket, lambda message: message["stock"] == 42)

    assert first == {"type": "stock", "product": product_id, "stock": 5}
    assert changed.status_code == 302
    assert {"type": "stock", "product": product_id, "stock": 42} in seen


def test_when_someone_buys_on_one_replica_then_a_viewer_on_the_other_sees_the_stock_drop(topology):
    """You watch a product page on replica A; a customer on replica B buys one; your page shows one fewer."""
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    buyer = Visitor(topology.replica(1).url)
    buyer.sign_up()

    with open_socket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        first = next_message(socket)
        place_order(buyer, product_id)
        seen = messages_until(socket, lambda message: message["stock"] == 4)

    assert first["stock"] == 5
    assert {"type": "stock", "product": product_id, "stock": 4} in seen


def test_when_staff_change_an_order_on_one_replica_then_the_customer_on_the_other_sees_it(topology):
    """Your order page is open on replica A; staff on replica B ship the order; your page says Shipped."""
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    customer = Visitor(topology.replica(0).url)
    customer.sign_up()
    order_id = place_order(customer, product_id)

    with open_socket(topology.replica(0), f"/ws/orders/{order_id}/", visitor=customer) as socket:
        first = next_message(socket)
        changed = staff.post(f"/staff/orders/{order_id}/status/", {"status": "shipped"})
        seen = messages_until(socket, lambda message: message["status"] == "shipped")

    assert first == {"type": "status", "order": order_id, "status": "placed", "label": "Placed"}
    assert changed.status_code == 302
    assert {"type": "status", "order": order_id, "status": "shipped", "label": "Shipped"} in seen


def test_when_a_viewer_reconnects_to_the_other_replica_then_it_gets_the_current_stock(topology):
    """Your connection drops and comes back on the other replica: the first thing it hears is today's figure."""
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    with open_socket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        before = next_message(socket)

    assert staff.post(f"/staff/products/{product_id}/stock/", {"stock": "17"}).status_code == 302
    with open_socket(topology.replica(1), f"/ws/products/{product_id}/") as socket:
        after = next_message(socket)

    assert (before["stock"], after["stock"]) == (5, 17)


@pytest.mark.parametrize("who", ["another customer", "an anonymous visitor"])
def test_when_a_stranger_opens_an_order_socket_then_it_is_closed_with_4403(topology, who):
    """Only the customer and staff hear about an order: anyone else's socket is closed with code 4403."""
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    customer = Visitor(topology.replica(0).url)
    customer.sign_up()
    order_id = place_order(customer, product_id)
    stranger = Visitor(topology.replica(0).url)
    if who == "another customer":
        stranger.sign_up()

    path = f"/ws/orders/{order_id}/"
    with open_socket(topology.replica(0), path, visitor=stranger) as socket, pytest.raises(ConnectionClosed) as closed:
        next_message(socket)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_when_a_page_on_another_site_opens_a_live_socket_then_it_is_refused(topology):
    """A page on another site cannot listen in: the handshake is refused because of its Origin."""
    with pytest.raises(InvalidStatus) as refused:
        open_socket(topology.url, "/ws/products/1/", origin="https://evil.example")

    assert refused.value.response.status_code == 403


def test_when_a_page_opens_a_live_socket_then_the_handshake_names_the_replica_that_accepted_it(topology):
    """Like every HTTP response, a WebSocket handshake says in X-Served-By which replica answered it."""
    product_id = next(iter(Visitor(topology.url).products().values()))
    named = []
    for target in (topology.replica(0), topology.replica(1), topology):
        with open_socket(target, f"/ws/products/{product_id}/") as socket:
            named.append(socket.response.headers.get("X-Served-By"))

    replicas = [topology.replica(0).name, topology.replica(1).name]
    assert named[:2] == replicas
    assert named[2] in replicas
