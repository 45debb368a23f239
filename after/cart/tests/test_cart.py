import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def lines(client) -> dict[int, int]:
    """The cart as the cart page renders it: {product id: quantity}."""
    return {line.product.pk: line.quantity for line in client.get(reverse("cart:detail")).context["lines"]}


def test_adding_twice_adds_up(client, mug):
    """Adding a product already in the cart adds to its quantity."""
    client.post(reverse("cart:add", args=[mug.pk]), {"quantity": "2"})
    response = client.post(reverse("cart:add", args=[mug.pk]), {"quantity": "1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("cart:detail")
    assert lines(client) == {mug.pk: 3}


def test_the_header_counts_the_items_in_the_cart(client, mug, towel):
    """Every page's header shows how many items are in the cart."""
    client.post(reverse("cart:add", args=[mug.pk]), {"quantity": "2"})
    client.post(reverse("cart:add", args=[towel.pk]), {"quantity": "1"})

    response = client.get("/")

    assert b'data-testid="cart-count">3<' in response.content


def test_update_sets_the_quantity_and_remove_takes_the_line_out(client, mug, towel):
    """Update sets a line's quantity; remove takes the line out."""
    client.post(reverse("cart:add", args=[mug.pk]), {"quantity": "1"})
    client.post(reverse("cart:add", args=[towel.pk]), {"quantity": "1"})

    client.post(reverse("cart:update", args=[mug.pk]), {"quantity": "4"})
    client.post(reverse("cart:remove", args=[towel.pk]))

    assert lines(client) == {mug.pk: 4}


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "at least 1"),
        ("-2", "at least 1"),
        ("two", "whole number"),
        ("1.5", "whole number"),
        ("", "whole number"),
        ("6", "Only 5 of Mug left"),
        ("99999999999999999999999", "Only 5 of Mug left"),
    ],
)
def test_a_bad_quantity_is_refused_with_a_message_and_changes_nothing(client, mug, quantity, message):
    """A quantity that is not a positive whole number, or more than is in stock, is a 400 with a reason."""
    client.post(reverse("cart:add", args=[mug.pk]), {"quantity": "1"})

    added = client.post(reverse("cart:add", args=[mug.pk]), {"quantity": quantity})
    updated = client.post(reverse("cart:update", args=[mug.pk]), {"quantity": quantity})

    assert (added.status_code, updated.status_code) == (400, 400)
    assert message in added.content.decode()
    assert lines(client) == {mug.pk: 1}


def test_adding_more_than_is_left_counts_what_is_already_in_the_cart(client, towel):
    """The stock check counts what the cart already holds."""
    client.post(reverse("cart:add", args=[towel.pk]), {"quantity": "2"})

    response = client.post(reverse("cart:add", args=[towel.pk]), {"quantity": "1"})

    assert response.status_code == 400
    assert lines(client) == {towel.pk: 2}


def test_an_unknown_product_is_404(client):
    """A product that does not exist is a 404, never a 500."""
    assert client.post(reverse("cart:add", args=[999]), {"quantity": "1"}).status_code == 404
    assert client.post(reverse("cart:update", args=[999]), {"quantity": "1"}).status_code == 404
    assert client.post(reverse("cart:remove", args=[999])).status_code == 404


def test_changing_the_cart_takes_post_only(client, mug):
    """Links and prefetching browsers cannot change a cart: only POST can."""
    assert client.get(reverse("cart:add", args=[mug.pk])).status_code == 405
