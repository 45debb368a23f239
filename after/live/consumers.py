"""WebSockets that push stock figures and order statuses to the pages showing them."""

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from catalog.models import Product
from live.broadcast import order_group, product_group, status_message, stock_message
from orders.models import Order

# Application close codes (4000-4999) reach the browser, which then stops reconnecting.
FORBIDDEN = 4403
NOT_FOUND = 4404


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins one group, then sends the current value: a client that (re)connects anywhere is up to date."""

    group = None

    async def dispatch(self, message):
        # Channels closes stale database connections in a worker thread before every message; a fan-out
        # then queues each page's update behind that thread. Handlers here reach the database only
        # through database_sync_to_async, which closes them itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        await self.accept()
        refusal = await database_sync_to_async(self.refusal)()
        if refusal:
            await self.close(code=refusal)
            return
        self.group = self.group_name()
        # Join before reading, so a change committed in between is sent too, never lost.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(await database_sync_to_async(self.current_message)())

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_update(self, event):
        await self.send_json(event["message"])

    async def live_resync(self, event):
        # From the channel layer, back on Redis after an outage (live/layers.py): changes may have been missed.
        await self.send_json(await database_sync_to_async(self.current_message)())


class ProductStockConsumer(LiveConsumer):
    def product(self) -> Product | None:
        return Product.objects.filter(pk=self.scope["url_route"]["kwargs"]["product_id"]).first()

    def refusal(self) -> int | None:
        return None if self.product() else NOT_FOUND

    def group_name(self) -> str:
        return product_group(self.scope["url_route"]["kwargs"]["product_id"])

    def current_message(self) -> dict:
        return stock_message(self.product())


class OrderStatusConsumer(LiveConsumer):
    def order(self) -> Order | None:
        return Order.objects.filter(pk=self.scope["url_route"]["kwargs"]["order_id"]).first()

    def refusal(self) -> int | None:
        visible = Order.objects.visible_to(self.scope["user"]).filter(pk=self.scope["url_route"]["kwargs"]["order_id"])
        # The same answer whether the order exists or not, so order numbers are not worth probing.
        return None if visible.exists() else FORBIDDEN

    def group_name(self) -> str:
        return order_group(self.scope["url_route"]["kwargs"]["order_id"])

    def current_message(self) -> dict:
        return status_message(self.order())
