"""Tell live viewers about a change, after the change is committed (call through transaction.on_commit)."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from catalog.models import Product
from orders.models import Order


def product_group(product_id: int) -> str:
    return f"product-{product_id}"


def order_group(order_id: int) -> str:
    return f"order-{order_id}"


def user_group(user_id: int) -> str:
    """Every socket a signed-in user has open, on any replica the channel layer reaches."""
    return f"user-{user_id}"


def stock_message(product: Product) -> dict:
    return {"type": "stock", "product": product.pk, "stock": product.stock}


def status_message(order: Order) -> dict:
    return {"type": "status", "order": order.pk, "status": order.status, "label": order.get_status_display()}


def product_stock_broadcast(*, product_ids) -> None:
    """Send each product's stock as the database has it now, so a late message never shows an old figure."""
    send = async_to_sync(get_channel_layer().group_send)
    for product in Product.objects.filter(pk__in=list(product_ids)):
        send(product_group(product.pk), {"type": "live.update", "message": stock_message(product)})


def order_status_broadcast(*, order_id: int) -> None:
    order = Order.objects.filter(pk=order_id).first()
    if order is not None:
        async_to_sync(get_channel_layer().group_send)(
            order_group(order.pk), {"type": "live.update", "message": status_message(order)}
        )


def user_sockets_close(*, user_id: int) -> None:
    """At logout: the user's open sockets hear nothing more, wherever they are connected."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": "session.ended"})
