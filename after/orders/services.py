from django.db import IntegrityError, transaction
from django.db.models import F

from cart.cart import CartLine
from catalog.models import Product
from live.broadcast import order_status_broadcast, product_stock_broadcast
from orders.models import Order, OrderItem


class CheckoutError(ValueError):
    """The order cannot be placed; nothing was saved. The message is shown to the customer."""


class OrderStatusError(ValueError):
    """The status cannot be set; the order keeps its own. The message is shown to the staff member."""


def order_place(*, user, lines: list[CartLine], checkout_key=None) -> Order:
    """Turn cart lines into an order, all or nothing, never selling stock that is not there.

    A checkout resent with the same `checkout_key` (its answer was lost) returns the order it placed."""
    placed = Order.objects.filter(user=user, checkout_key=checkout_key).first() if checkout_key else None
    if placed:
        return placed
    if not lines:
        raise CheckoutError("Your cart is empty.")
    try:
        return _order_create(user=user, lines=lines, checkout_key=checkout_key)
    except IntegrityError:
        if checkout_key is None:
            raise
        # The same checkout, resent while the first was still running: the first placed the order.
        return Order.objects.get(user=user, checkout_key=checkout_key)


def _order_create(*, user, lines: list[CartLine], checkout_key) -> Order:
    with transaction.atomic():
        order = Order.objects.create(user=user, total=sum(line.subtotal for line in lines), checkout_key=checkout_key)
        for line in lines:
            # One conditional UPDATE: two buyers racing for the last item cannot both win.
            taken = Product.objects.filter(pk=line.product.pk, stock__gte=line.quantity).update(
                stock=F("stock") - line.quantity
            )
            if not taken:
                raise CheckoutError(f"Not enough {line.product.name} in stock.")
            OrderItem.objects.create(
                order=order, product=line.product, quantity=line.quantity, unit_price=line.product.price
            )
        transaction.on_commit(
            lambda: product_stock_broadcast(product_ids=[line.product.pk for line in lines]), robust=True
        )
    return order


def order_set_status(*, order: Order, status: str) -> Order:
    if status not in Order.Status.values:
        raise OrderStatusError(f"Unknown status {status!r}.")
    order.status = status
    order.save(update_fields=["status"])
    transaction.on_commit(lambda: order_status_broadcast(order_id=order.pk), robust=True)
    return order
