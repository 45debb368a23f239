"""WebSockets that push stock figures and order statuses to the pages showing them."""

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from catalog.models import Product
from live.broadcast import order_group, product_group, status_message, stock_message, user_group
from orders.models import Order

# Application close codes (4000-4999) reach the browser, which then stops reconnecting.
BAD_REQUEST = 4400
SIGNED_OUT = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins one group, then sends the current value: a client that (re)connects anywhere is up to date."""

    groups = ()
    # A socket that shows the user's own data also joins the user's group, and closes at logout.
    private = False

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
        self.groups = [self.group_name(), *([user_group(self.scope["user"].pk)] if self.private else [])]
        # Join before reading, so a change committed in between is sent too, never lost.
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json(await database_sync_to_async(self.current_message)())

    async def disconnect(self, code):
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A page only listens: whatever a client sends is a mistake, and no reason for a traceback.
        await self.close(code=BAD_REQUEST)

    async def session_ended(self, event):
        await self.close(code=SIGNED_OUT)

    async def live_update(self, event):
        await self.send_json(event["message"])


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
    private = True

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


class NoSuchSocket(LiveConsumer):
    """A WebSocket handshake on any other path (a page's, say) is refused, as a 403."""

    async def connect(self):
        await self.close()
