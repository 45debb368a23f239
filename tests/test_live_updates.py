"""Live updates: open pages follow stock figures and order statuses over WebSockets."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from harness import LiveSocket, Visitor

# A change reaches open pages within this, or they are not live. It bounds the expected failures' wait
# too: on before-2 the message never comes, and each such test waits this long to say so.
LIVE_WITHIN = 3.0


def test_when_stock_changes_on_one_replica_then_a_viewer_on_the_other_sees_it(topology):
    """You watch a product page on replica A; staff change its stock on replica B; your page shows the new figure."""
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)

    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        first = socket.next()
        changed = staff.post(f"/staff/products/{product_id}/stock/", {"stock": "42"})
        seen = socket.until(lambda message: message["stock"] == 42, deadline=LIVE_WITHIN)

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

    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        first = socket.next()
        buyer.place_order(product_id)
        seen = socket.until(lambda message: message["stock"] == 4, deadline=LIVE_WITHIN)

    assert first["stock"] == 5
    assert {"type": "stock", "product": product_id, "stock": 4} in seen


def test_when_staff_change_an_order_on_one_replica_then_the_customer_on_the_other_sees_it(topology):
    """Your order page is open on replica A; staff on replica B ship the order; your page says Shipped."""
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    customer = Visitor(topology.replica(0).url)
    customer.sign_up()
    order_id = customer.place_order(product_id)

    with LiveSocket(topology.replica(0), f"/ws/orders/{order_id}/", visitor=customer) as socket:
        first = socket.next()
        changed = staff.post(f"/staff/orders/{order_id}/status/", {"status": "shipped"})
        seen = socket.until(lambda message: message["status"] == "shipped", deadline=LIVE_WITHIN)

    assert first == {"type": "status", "order": order_id, "status": "placed", "label": "Placed"}
    assert changed.status_code == 302
    assert {"type": "status", "order": order_id, "status": "shipped", "label": "Shipped"} in seen


def test_when_a_viewer_reconnects_to_the_other_replica_then_it_gets_the_current_stock(topology):
    """Your connection drops and comes back on the other replica: the first thing it hears is today's figure."""
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        before = socket.next()

    assert staff.post(f"/staff/products/{product_id}/stock/", {"stock": "17"}).status_code == 302
    with LiveSocket(topology.replica(1), f"/ws/products/{product_id}/") as socket:
        after = socket.next()

    assert (before["stock"], after["stock"]) == (5, 17)


@pytest.mark.parametrize("who", ["another customer", "an anonymous visitor"])
def test_when_a_stranger_opens_an_order_socket_then_it_is_closed_with_4403(topology, who):
    """Only the customer and staff hear about an order: anyone else's socket is closed with code 4403."""
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    customer = Visitor(topology.replica(0).url)
    customer.sign_up()
    order_id = customer.place_order(product_id)
    stranger = Visitor(topology.replica(0).url)
    if who == "another customer":
        stranger.sign_up()

    path = f"/ws/orders/{order_id}/"
    with LiveSocket(topology.replica(0), path, visitor=stranger) as socket, pytest.raises(ConnectionClosed) as closed:
        socket.next()

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_when_a_page_on_another_site_opens_a_live_socket_then_it_is_refused(topology):
    """A page on another site cannot listen in: the handshake is refused because of its Origin."""
    with pytest.raises(InvalidStatus) as refused:
        LiveSocket(topology.url, "/ws/products/1/", origin="https://evil.example").open()

    assert refused.value.response.status_code == 403


def test_when_a_page_opens_a_live_socket_then_the_handshake_names_the_replica_that_accepted_it(topology):
    """Like every HTTP response, a WebSocket handshake says in X-Served-By which replica answered it."""
    product_id = next(iter(Visitor(topology.url).products().values()))
    named = []
    for target in (topology.replica(0), topology.replica(1), topology):
        with LiveSocket(target, f"/ws/products/{product_id}/") as socket:
            named.append(socket.served_by)

    replicas = [topology.replica(0).name, topology.replica(1).name]
    assert named[:2] == replicas
    assert named[2] in replicas


@pytest.mark.parametrize("origin", ["another port", "another scheme"])
def test_when_a_page_on_another_port_or_scheme_of_this_host_opens_a_socket_then_it_is_refused(topology, origin):
    """Same host is not same site: a page served on another port or over another scheme is refused too."""
    own = topology.url
    scheme, _, rest = own.partition("://")
    host = rest.rsplit(":", 1)[0]
    foreign = f"{scheme}://{host}:1" if origin == "another port" else own.replace("http://", "https://")

    with pytest.raises(InvalidStatus) as refused:
        LiveSocket(topology, "/ws/products/1/", origin=foreign).open()

    assert refused.value.response.status_code == 403


def test_when_you_log_out_on_one_replica_then_your_order_page_on_the_other_stops_hearing(topology):
    """Your order page is open on replica B; you log out on replica A: B closes the socket (4401) at
    once, and the order's next change reaches no one who is signed out."""
    staff = Visitor(topology.replica(0)).log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    customer = Visitor(topology.replica(0))
    customer.sign_up()
    order_id = customer.place_order(product_id)

    with LiveSocket(topology.replica(1), f"/ws/orders/{order_id}/", visitor=customer) as socket:
        assert socket.until(lambda message: message["type"] == "status"), "replica B did not let you watch"
        assert customer.post("/accounts/logout/").status_code == 302
        code = socket.close_code(deadline=LIVE_WITHIN)

    assert code == 4401


def test_a_socket_that_sends_garbage_or_knocks_on_a_page_path_is_turned_away(topology):
    """Pages only listen: a frame from the client closes its socket with 4400; a WebSocket handshake on
    a page's path is refused with a 403. Neither is a server error."""
    product_id = next(iter(Visitor(topology).products().values()))
    with LiveSocket(topology, f"/ws/products/{product_id}/") as socket:
        socket.next()
        socket.connection.send("not json {")
        code = socket.close_code(deadline=5)
    with pytest.raises(InvalidStatus) as refused:
        LiveSocket(topology, "/products/").open()

    assert code == 4400
    assert refused.value.response.status_code == 403
