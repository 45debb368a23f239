import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from cart.cart import CartLine
from catalog.models import Product
from orders.models import Order
from orders.services import CheckoutError, OrderStatusError, order_place, order_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client, django_user_model):
    user = django_user_model.objects.create_user("ann")
    client.force_login(user)
    return user


def add(client, product, quantity):
    return client.post(reverse("cart:add", args=[product.pk]), {"quantity": str(quantity)})


def test_checkout_places_the_order_takes_the_stock_and_empties_the_cart(client, ann, mug, towel):
    """Checking out turns the cart into an order, takes the stock and empties the cart."""
    add(client, mug, 2)
    add(client, towel, 1)

    response = client.post(reverse("orders:checkout"))

    order = Order.objects.get(user=ann)
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert str(order.total) == "34.00"
    assert [(i.product.slug, i.quantity) for i in order.items.order_by("product__slug")] == [("mug", 2), ("towel", 1)]
    assert Product.objects.get(pk=mug.pk).stock == 3
    assert client.get(reverse("cart:detail")).context["lines"] == []


def test_checking_out_an_empty_cart_is_refused(client, ann):
    """An empty cart cannot be checked out, and no order appears."""
    response = client.post(reverse("orders:checkout"))

    assert response.status_code == 400
    assert b"Your cart is empty." in response.content
    assert not Order.objects.exists()


def test_a_checkout_that_fails_leaves_cart_stock_and_orders_as_they_were(client, ann, mug, towel):
    """When one line cannot be had, the whole checkout is refused and nothing changes."""
    add(client, mug, 2)
    add(client, towel, 2)
    Product.objects.filter(pk=towel.pk).update(stock=1)  # someone else bought one meanwhile

    response = client.post(reverse("orders:checkout"))

    assert response.status_code == 400
    assert b"Not enough Towel in stock." in response.content
    assert not Order.objects.exists()
    assert Product.objects.get(pk=mug.pk).stock == 5
    lines = client.get(reverse("cart:detail")).context["lines"]
    assert {(line.product.pk, line.quantity) for line in lines} == {(mug.pk, 2), (towel.pk, 2)}


def test_two_buyers_of_the_last_item_get_exactly_one_order(django_user_model, mug):
    """Both carts were filled while one mug was left; the conditional UPDATE lets one checkout win."""
    Product.objects.filter(pk=mug.pk).update(stock=1)
    mug.refresh_from_db()
    ann, bob = (django_user_model.objects.create_user(name) for name in ("ann", "bob"))
    stale_line = CartLine(product=mug, quantity=1)

    order_place(user=ann, lines=[stale_line])
    with pytest.raises(CheckoutError):
        order_place(user=bob, lines=[stale_line])

    assert list(Order.objects.values_list("user__username", flat=True)) == ["ann"]
    assert Product.objects.get(pk=mug.pk).stock == 0


def test_anonymous_visitors_are_sent_to_log_in_before_checkout(client, mug):
    """Visitors who have not logged in are sent to log in, and no order is placed."""
    add(client, mug, 1)

    response = client.post(reverse("orders:checkout"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Order.objects.exists()


def test_order_history_shows_only_your_own_orders(client, ann, django_user_model, mug):
    """You see your own orders only; other people's are a 404, as if they did not exist."""
    mine = order_place(user=ann, lines=[CartLine(product=mug, quantity=1)])
    theirs = order_place(user=django_user_model.objects.create_user("bob"), lines=[CartLine(product=mug, quantity=1)])

    response = client.get(reverse("orders:list"))

    assert list(response.context["orders"]) == [mine]
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("orders:detail", args=[999])).status_code == 404


def test_the_order_page_shows_the_status_for_live_updates(client, ann, mug):
    """The order status sits in the element live updates rewrite."""
    order = order_place(user=ann, lines=[CartLine(product=mug, quantity=1)])

    response = client.get(order.get_absolute_url())

    assert f'<span data-testid="order-status" data-order-id="{order.pk}">Placed</span>'.encode() in response.content


def test_staff_see_any_order_and_change_its_status(client, ann, django_user_model, mug):
    """Staff open anyone's order and move it along."""
    order = order_place(user=ann, lines=[CartLine(product=mug, quantity=1)])
    client.force_login(django_user_model.objects.create_user("sam", is_staff=True))

    page = client.get(order.get_absolute_url())
    response = client.post(reverse("orders:status", args=[order.pk]), {"status": "shipped"})

    assert page.status_code == 200
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped"


def test_an_unknown_status_is_refused(client, ann, django_user_model, mug):
    """A status the shop does not know is a 400, and the order keeps its status."""
    order = order_place(user=ann, lines=[CartLine(product=mug, quantity=1)])
    client.force_login(django_user_model.objects.create_user("sam", is_staff=True))

    response = client.post(reverse("orders:status", args=[order.pk]), {"status": "lost-at-sea"})

    assert response.status_code == 400
    assert b"Unknown status" in response.content
    order.refresh_from_db()
    assert order.status == "placed"


def test_customers_cannot_change_the_status_of_their_order(client, ann, mug):
    """Customers cannot change the status of their own order."""
    order = order_place(user=ann, lines=[CartLine(product=mug, quantity=1)])

    response = client.post(reverse("orders:status", args=[order.pk]), {"status": "delivered"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "placed"


def checkout_key(client) -> str:
    """The key the cart page puts in its checkout form."""
    return str(client.get(reverse("cart:detail")).context["checkout_key"])


def test_a_checkout_resent_with_the_same_key_is_the_same_order(client, ann, mug):
    """A checkout whose answer was lost and is sent again (same form, same key) places no second order."""
    add(client, mug, 1)
    key = checkout_key(client)
    cart = dict(client.session)
    first = client.post(reverse("orders:checkout"), {"checkout_key": key})
    session = client.session  # as if the first answer was lost before the cart was emptied
    session.update(cart)
    session.save()

    again = client.post(reverse("orders:checkout"), {"checkout_key": key})

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Order.objects.filter(user=ann).count() == 1
    assert Product.objects.get(pk=mug.pk).stock == 4
    assert client.get(reverse("cart:detail")).context["lines"] == []


def test_a_new_checkout_form_places_a_new_order(client, ann, mug):
    """Each cart has a key of its own, made with its first item, so buying again is a new order."""
    for _ in range(2):
        add(client, mug, 1)
        assert client.post(reverse("orders:checkout"), {"checkout_key": checkout_key(client)}).status_code == 302

    assert Order.objects.filter(user=ann).count() == 2


def test_an_old_checkout_form_sent_with_a_new_cart_shows_the_old_order_and_keeps_the_cart(client, ann, mug, towel):
    """The form of an order placed before, sent again after filling a new cart: the old order, and the
    new cart stays as it is, neither checked out nor emptied."""
    add(client, mug, 1)
    old_key = checkout_key(client)
    first = client.post(reverse("orders:checkout"), {"checkout_key": old_key})
    add(client, towel, 1)

    again = client.post(reverse("orders:checkout"), {"checkout_key": old_key}, follow=True)

    assert again.redirect_chain[0][0] == first["Location"]
    assert b"already placed" in again.content
    assert Order.objects.filter(user=ann).count() == 1
    assert [line.product for line in client.get(reverse("cart:detail")).context["lines"]] == [towel]


def test_a_damaged_checkout_key_is_refused_and_nothing_is_saved(client, ann, mug):
    """A checkout key that is not one the shop made is a 400 with the reason; no order, the cart stays."""
    add(client, mug, 1)

    response = client.post(reverse("orders:checkout"), {"checkout_key": "not-a-key"})

    assert response.status_code == 400
    assert b"This checkout form is damaged" in response.content
    assert not Order.objects.exists()
    assert len(client.get(reverse("cart:detail")).context["lines"]) == 1


def test_the_same_key_from_another_customer_is_their_own_order(client, ann, mug, django_user_model):
    """Keys are per customer: someone else's key never shows them your order."""
    add(client, mug, 1)
    key = checkout_key(client)
    client.post(reverse("orders:checkout"), {"checkout_key": key})
    client.force_login(django_user_model.objects.create_user("bob"))
    add(client, mug, 1)

    response = client.post(reverse("orders:checkout"), {"checkout_key": key})

    bob_order = Order.objects.get(user__username="bob")
    assert response["Location"] == bob_order.get_absolute_url()
    assert Order.objects.count() == 2


def test_order_set_status_refuses_an_unknown_status_with_its_own_error(ann, mug):
    """An unknown status is an OrderStatusError the view can show, and nothing is saved."""
    order = order_place(user=ann, lines=[CartLine(product=mug, quantity=1)])

    with pytest.raises(OrderStatusError, match="Unknown status 'lost-at-sea'"):
        order_set_status(order=order, status="lost-at-sea")

    order.refresh_from_db()
    assert order.status == "placed"


def test_visible_to_gives_staff_every_order_a_customer_their_own_and_a_visitor_none(ann, django_user_model, mug):
    """One rule for who may see an order: the pages, the invoice and the live socket all ask it."""
    mine = order_place(user=ann, lines=[CartLine(product=mug, quantity=1)])
    theirs = order_place(user=django_user_model.objects.create_user("bob"), lines=[CartLine(product=mug, quantity=1)])
    staff = django_user_model.objects.create_user("sam", is_staff=True)

    assert list(Order.objects.visible_to(ann)) == [mine]
    assert set(Order.objects.visible_to(staff)) == {mine, theirs}
    assert not Order.objects.visible_to(AnonymousUser()).exists()
