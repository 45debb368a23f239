"""The live-update sockets, in process, on whichever channel layer the settings choose."""

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from catalog.services import product_set_stock
from config.asgi import application
from orders.models import Order
from orders.services import order_set_status

# The consumers read the database from their own threads, so each test commits for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def order(django_user_model):
    return Order.objects.create(user=django_user_model.objects.create_user("ann"), total=Decimal("12.50"))


def cookie_of(client, user) -> bytes:
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def open_socket(path: str, *, cookie: bytes = b"", origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    headers = [(b"host", b"localhost"), (b"origin", origin), (b"cookie", cookie)]
    return WebsocketCommunicator(application, path, headers=headers)


def test_product_socket_sends_the_current_stock_then_every_committed_change(mug):
    async def scenario():
        socket = open_socket(f"/ws/products/{mug.pk}/")
        assert (await socket.connect())[0]
        first = await socket.receive_json_from(timeout=5)
        await database_sync_to_async(product_set_stock)(product=mug, stock=9)
        second = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()

    assert first == {"type": "stock", "product": mug.pk, "stock": 5}
    assert second == {"type": "stock", "product": mug.pk, "stock": 9}


def test_product_socket_for_a_missing_product_is_closed_with_4404():
    async def scenario():
        socket = open_socket("/ws/products/999999/")
        await socket.connect()
        return await socket.receive_output(timeout=5)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4404}


def test_order_socket_sends_the_owner_the_status_and_its_changes(client, order):
    cookie = cookie_of(client, order.user)

    async def scenario():
        socket = open_socket(f"/ws/orders/{order.pk}/", cookie=cookie)
        assert (await socket.connect())[0]
        first = await socket.receive_json_from(timeout=5)
        await database_sync_to_async(order_set_status)(order=order, status="shipped")
        second = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()

    assert first == {"type": "status", "order": order.pk, "status": "placed", "label": "Placed"}
    assert second == {"type": "status", "order": order.pk, "status": "shipped", "label": "Shipped"}


@pytest.mark.parametrize("who", ["anonymous", "another customer"])
def test_order_socket_refuses_strangers_with_4403(client, django_user_model, order, who):
    cookie = b"" if who == "anonymous" else cookie_of(client, django_user_model.objects.create_user("bob"))

    async def scenario():
        socket = open_socket(f"/ws/orders/{order.pk}/", cookie=cookie)
        await socket.connect()
        return await socket.receive_output(timeout=5)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4403}


def test_order_socket_lets_staff_watch_any_order(client, django_user_model, order):
    cookie = cookie_of(client, django_user_model.objects.create_user("sam", is_staff=True))

    async def scenario():
        socket = open_socket(f"/ws/orders/{order.pk}/", cookie=cookie)
        assert (await socket.connect())[0]
        message = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return message

    assert async_to_sync(scenario)()["status"] == "placed"


def test_socket_opened_from_another_site_is_refused(mug):
    async def scenario():
        socket = open_socket(f"/ws/products/{mug.pk}/", origin=b"https://evil.example")
        return (await socket.connect())[0]

    assert async_to_sync(scenario)() is False


@pytest.mark.parametrize("origin", [b"http://localhost:8443", b"https://localhost", b"null", b""])
def test_socket_opened_from_another_port_or_scheme_of_this_host_is_refused(mug, origin):
    async def scenario():
        socket = open_socket(f"/ws/products/{mug.pk}/", origin=origin)
        return (await socket.connect())[0]

    assert async_to_sync(scenario)() is False


def test_a_frame_from_the_page_closes_its_socket_with_4400(mug):
    async def scenario():
        socket = open_socket(f"/ws/products/{mug.pk}/")
        assert (await socket.connect())[0]
        await socket.receive_json_from(timeout=5)
        await socket.send_to(text_data="not json {")
        return await socket.receive_output(timeout=5)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4400}


def test_a_socket_on_a_page_path_is_refused():
    async def scenario():
        return (await open_socket("/products/mug/").connect())[0]

    assert async_to_sync(scenario)() is False


def test_logging_out_closes_the_users_order_sockets(client, order):
    cookie = cookie_of(client, order.user)

    async def scenario():
        socket = open_socket(f"/ws/orders/{order.pk}/", cookie=cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from(timeout=5)
        await database_sync_to_async(client.post)("/accounts/logout/")
        return await socket.receive_output(timeout=5)

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}
