"""The shopping cart, kept in the session: {product id: quantity}."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Product

SESSION_KEY = "cart"
# The cart's own checkout key, made with its first item: every checkout of one cart is one order.
KEY_SESSION_KEY = "cart-key"


class CartError(ValueError):
    """A change the cart refuses; the message is shown to the visitor."""


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def subtotal(self) -> Decimal:
        return self.product.price * self.quantity


def parse_quantity(raw) -> int:
    """A positive whole number, or CartError with a message a visitor understands."""
    try:
        quantity = int(str(raw).strip())
    except (TypeError, ValueError):
        raise CartError("Quantity must be a whole number.") from None
    if quantity < 1:
        raise CartError("Quantity must be at least 1.")
    return quantity


def _contents(request) -> dict[str, int]:
    return dict(request.session.get(SESSION_KEY, {}))


def _store(request, contents: dict[str, int]) -> None:
    request.session[SESSION_KEY] = contents
    request.session.setdefault(KEY_SESSION_KEY, str(uuid.uuid4()))


def cart_key(*, request) -> uuid.UUID | None:
    """The key that makes a checkout of this cart, sent twice, from two tabs or by a client that
    retries, place one order; None for a cart nothing was ever added to."""
    key = request.session.get(KEY_SESSION_KEY)
    return uuid.UUID(key) if key else None


def cart_add(*, request, product: Product, quantity: int) -> None:
    contents = _contents(request)
    cart_set(request=request, product=product, quantity=contents.get(str(product.pk), 0) + quantity)


def cart_set(*, request, product: Product, quantity: int) -> None:
    if quantity < 1:
        raise CartError("Quantity must be at least 1.")
    if quantity > product.stock:
        raise CartError(f"Only {product.stock} of {product.name} left in stock.")
    contents = _contents(request)
    contents[str(product.pk)] = quantity
    _store(request, contents)


def cart_remove(*, request, product: Product) -> None:
    contents = _contents(request)
    contents.pop(str(product.pk), None)
    _store(request, contents)


def cart_clear(*, request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(KEY_SESSION_KEY, None)


def cart_lines(*, request) -> list[CartLine]:
    contents = _contents(request)
    products = Product.objects.in_bulk([int(pk) for pk in contents])
    return [CartLine(products[int(pk)], qty) for pk, qty in contents.items() if int(pk) in products]


def cart_count(*, request) -> int:
    return sum(_contents(request).values())
