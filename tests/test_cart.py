"""The cart: what you picked, remembered between requests in your session."""

import re
import threading

import pytest
import requests

from harness import ApiClient, Visitor


def test_when_added_to_the_cart_on_one_replica_then_the_other_shows_it(topology):
    """You put a mug in your cart on replica A; replica B shows the same cart."""
    visitor = Visitor(topology.replica(0).url)
    mug = visitor.products()["enamel-mug"]

    assert visitor.add_to_cart(mug, 2).status_code == 302

    assert visitor.at(topology.replica(1)).cart() == {mug: 2}


@pytest.mark.load_balanced
def test_when_shopping_through_the_load_balancer_then_the_cart_follows_you_to_checkout(visitor):
    """Through the load balancer you log in, fill your cart, look at it a few times and check out."""
    visitor.sign_up()
    products = visitor.products()
    mug, towel = products["enamel-mug"], products["linen-tea-towel"]
    visitor.add_to_cart(mug, 1)
    visitor.add_to_cart(towel, 3)

    carts = [visitor.cart() for _ in range(6)]
    checkout = visitor.check_out()

    assert carts == [{mug: 1, towel: 3}] * 6
    placed = re.fullmatch(r"/orders/(\d+)/", checkout.headers.get("Location", ""))
    assert checkout.status_code == 302 and placed, f"checkout: {checkout.status_code} {checkout.text[:300]}"
    order_id = int(placed.group(1))
    assert "Placed" in visitor.get(f"/orders/{order_id}/").text
    assert visitor.order_ids() == [order_id]
    assert visitor.cart() == {}


def test_when_a_quantity_is_bad_then_the_shop_says_why_and_changes_nothing(topology):
    """A quantity that is not a positive whole number, or more than is in stock, is refused with a reason."""
    visitor = Visitor(topology.replica(0).url)
    mug = visitor.products()["enamel-mug"]
    visitor.add_to_cart(mug, 1)

    refused = {quantity: visitor.add_to_cart(mug, quantity) for quantity in ["0", "-1", "lots", "2.5", "100000"]}

    assert {quantity: response.status_code for quantity, response in refused.items()} == dict.fromkeys(refused, 400)
    assert "Quantity must be at least 1." in refused["0"].text
    assert "Quantity must be a whole number." in refused["lots"].text
    assert "left in stock" in refused["100000"].text
    assert visitor.add_to_cart(999999, 1).status_code == 404
    assert visitor.cart() == {mug: 1}


def test_when_checking_out_an_empty_cart_then_no_order_is_placed(topology):
    """Checking out with nothing in the cart is refused with a reason, and no order appears."""
    visitor = Visitor(topology.replica(0).url)
    visitor.sign_up()

    response = visitor.check_out()

    assert response.status_code == 400
    assert "Your cart is empty." in response.text
    assert visitor.order_ids() == []


def test_when_two_visitors_race_for_the_last_item_then_exactly_one_gets_it(topology):
    """Two customers, one on each replica, check out the last teapot at the same moment: one order, no oversell."""
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    teapot, slug = staff.create_product(stock=1)
    buyers = [Visitor(topology.replica(i).url) for i in range(2)]
    for buyer in buyers:
        buyer.sign_up()
        assert buyer.add_to_cart(teapot, 1).status_code == 302
    start = threading.Barrier(len(buyers))
    statuses = [None] * len(buyers)

    def check_out(index):
        start.wait(timeout=10)
        statuses[index] = buyers[index].check_out().status_code

    threads = [threading.Thread(target=check_out, args=(i,)) for i in range(len(buyers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [302, 400]
    assert sum(len(buyer.order_ids()) for buyer in buyers) == 1
    assert staff.stock_of(slug) == 0


def test_when_one_cart_is_checked_out_six_times_at_once_over_the_api_then_one_order_is_placed(topology):
    """An API client that keeps its cookie sends six checkouts of its one-item cart at the same moment,
    three to replica A and three to B: the cart's own key makes them one order. Each answer names that
    order, or (a checkout that read the session after the first had emptied the cart) says the cart is empty."""
    staff = Visitor(topology.replica(0)).log_in_as_staff()
    product_id, _ = staff.create_product(stock=10)
    shopper = Visitor(topology.replica(0))
    api = ApiClient(topology.replica(0), shopper.http).log_in(shopper.sign_up())
    assert api.add_to_cart(product_id, 1).status_code == 200
    start = threading.Barrier(6)
    answers = [None] * 6

    def check_out(index):
        client = ApiClient(topology.replica(index % 2), requests.Session(), api.tokens)
        client.http.cookies.update(shopper.http.cookies)  # the same session, so the same cart
        start.wait(timeout=10)
        answers[index] = client.check_out()

    threads = [threading.Thread(target=check_out, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert None not in answers, "a checkout did not come back within 30 s"
    assert {answer.status_code for answer in answers} <= {201, 400}, [a.text[:100] for a in answers]
    assert all(a.json()["detail"] == "Your cart is empty." for a in answers if a.status_code == 400)
    orders = api.orders().json()
    assert len(orders) == 1, orders
    assert {answer.json()["id"] for answer in answers if answer.status_code == 201} == {orders[0]["id"]}


@pytest.mark.load_balanced
def test_when_an_old_checkout_form_is_sent_again_with_a_new_cart_then_the_new_cart_stays(visitor):
    """You placed an order, filled a new cart, then your browser resent the old checkout form: the shop
    shows the order you placed, and your new cart is neither checked out nor emptied."""
    visitor.sign_up()
    mug, towel = list(visitor.products().values())[:2]
    visitor.add_to_cart(mug, 1)
    old_key = visitor.checkout_key()
    first = visitor.check_out(old_key)
    visitor.add_to_cart(towel, 1)

    again = visitor.check_out(old_key)

    assert again.status_code == 302 and again.headers.get("Location") == first.headers.get("Location")
    assert visitor.cart() == {towel: 1}
    assert len(visitor.order_ids()) == 1
