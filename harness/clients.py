"""The shop's three doors, one client each: `Visitor` (a browser tab: pages, forms, CSRF), `ApiClient`
(the JSON API with bearer tokens) and `LiveSocket` (a page's WebSocket). Each is pointed at a load
balancer or at one replica; `at(...)` is the same client (same cookies, same tokens) at another address.
"""

from __future__ import annotations

import html
import io
import json
import random
import re
import socket
import time
import uuid
import zlib
from urllib.parse import urlsplit

import requests
from PIL import Image
from requests.adapters import HTTPAdapter
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

PASSWORD = "correct-horse-battery-staple"
# Seeded by `manage.py seed_shop`.
STAFF = ("staff", "staff-password-123")
CUSTOMER = ("customer", "customer-password-123")
TIMEOUT = 10


def a_client_address() -> str:
    """A loopback address other than 127.0.0.1 (Linux routes all of 127/8 to lo), so that a visitor is
    a client of its own to the load balancer and the replicas, as a person at another address would be."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311


def with_time_to_spare(make, seconds: int = 20) -> str:
    """A new key (a username, a client address) whose one-minute rate-limit window has `seconds` left.

    django-ratelimit counts in fixed windows, each key's edge shifted by crc32(key) % 60; attempts
    that straddled an edge would start counting again from zero, and a test would fail by chance.
    """
    while True:
        key = make()
        if (zlib.crc32(key.encode()) % 60 - int(time.time()) % 60) % 60 >= seconds:
            return key


class SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def url_of(target) -> str:
    """A replica, a topology or a plain base URL: its address."""
    return getattr(target, "url", target).rstrip("/")


class Visitor:
    """Acts like a browser tab: keeps cookies, sends the CSRF token back, follows no redirect unasked.

    `visitor.at(replica)` is the same visitor (same cookies) talking to another address, which is
    how a test logs in on replica A and then reads its cart on replica B. `client_address` sends
    from that loopback address (see a_client_address), for limits counted per client.
    """

    def __init__(self, target, session: requests.Session | None = None, *, client_address: str | None = None):
        self.base_url = url_of(target)
        self.http = session or requests.Session()
        if client_address:
            self.http.mount("http://", SourceAddressAdapter(client_address))

    def at(self, target) -> Visitor:
        return Visitor(target, self.http)

    # -- HTTP ----------------------------------------------------------------------------------

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", TIMEOUT)
        return self.http.get(self.base_url + path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        """POST a form as a browser would: with the CSRF token Django put in the cookie."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", TIMEOUT)
        token = self.http.cookies.get("csrftoken")
        if token is None:
            self.get("/accounts/login/")
            token = self.http.cookies.get("csrftoken")
        headers = {"X-CSRFToken": token or "", **kwargs.pop("headers", {})}
        return self.http.post(self.base_url + path, data=data, headers=headers, **kwargs)

    def cookie_header(self) -> str:
        """The Cookie header a browser would send with this visitor's cookies (for wrk or a WebSocket)."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.http.cookies)

    def served_by(self) -> str:
        """The replica that answers this visitor now (on a sticky topology, the one it is pinned to)."""
        return self.get("/accounts/me/").headers["X-Served-By"]

    # -- journeys ------------------------------------------------------------------------------

    def sign_up(self, username: str | None = None) -> str:
        username = username or f"user-{uuid.uuid4().hex[:10]}"
        response = self.post("/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD})
        assert response.status_code == 302, f"sign-up failed: {response.status_code} {response.text[:300]}"
        return username

    def log_in(self, username: str, password: str = PASSWORD) -> requests.Response:
        return self.post("/accounts/login/", {"username": username, "password": password})

    def signed_in_as(self) -> str | None:
        """The username the page header shows, or None when the shop sends us to the login page."""
        response = self.get("/accounts/me/")
        if response.status_code != 200:
            return None
        match = re.search(r'data-testid="username">([^<]+)<', response.text)
        return match.group(1) if match else None

    def log_in_as_staff(self) -> Visitor:
        response = self.log_in(*STAFF)
        assert response.status_code == 302, f"staff login failed: {response.status_code}"
        return self

    # -- the shop ------------------------------------------------------------------------------

    def products(self) -> dict[str, int]:
        """{slug: product id} for every product the home page lists."""
        page = self.get("/").text
        return {slug: int(pk) for pk, slug in re.findall(r'data-product-id="(\d+)" data-slug="([^"]+)"', page)}

    def stock_of(self, slug: str) -> int:
        """The stock figure the product page shows."""
        response = self.get(f"/products/{slug}/")
        match = re.search(r'data-testid="stock"[^>]*>(\d+)<', response.text)
        assert match, f"no stock figure on /products/{slug}/: {response.status_code}"
        return int(match.group(1))

    def add_to_cart(self, product_id: int, quantity: int | str = 1) -> requests.Response:
        return self.post(f"/cart/add/{product_id}/", {"quantity": str(quantity)})

    def cart(self) -> dict[int, int]:
        """{product id: quantity} as the cart page shows it."""
        response = self.get("/cart/")
        assert response.status_code == 200, f"cart page: {response.status_code}"
        lines = re.findall(r'data-testid="cart-line" data-product-id="(\d+)" data-quantity="(\d+)"', response.text)
        return {int(pk): int(quantity) for pk, quantity in lines}

    def checkout_key(self) -> str | None:
        """The idempotency key the cart page puts in its checkout form; None when the cart is empty (no form)."""
        match = re.search(r'name="checkout_key" value="([^"]+)"', self.get("/cart/").text)
        return match.group(1) if match else None

    def check_out(self, key: str | None = None) -> requests.Response:
        return self.post("/checkout/", {"checkout_key": key} if key else None)

    def order_ids(self) -> list[int]:
        """The orders the history page lists, newest first."""
        return [int(pk) for pk in re.findall(r'data-testid="order" data-order-id="(\d+)"', self.get("/orders/").text)]

    def place_order(self, product_id: int, quantity: int = 1) -> int:
        """Add to the cart and check out; returns the new order's id."""
        added = self.add_to_cart(product_id, quantity)
        assert added.status_code == 302, f"cart add: {added.status_code} {added.text[:300]}"
        checkout = self.check_out()
        placed = re.fullmatch(r"/orders/(\d+)/", checkout.headers.get("Location", ""))
        assert checkout.status_code == 302 and placed, f"checkout: {checkout.status_code} {checkout.text[:300]}"
        return int(placed.group(1))

    def create_product(self, *, stock: int, price: str = "5.00") -> tuple[int, str]:
        """As staff: a new product with a unique slug, through the staff page. Returns (id, slug)."""
        slug = f"test-{uuid.uuid4().hex[:10]}"
        form = {"name": f"Test product {slug}", "slug": slug, "description": "", "price": price, "stock": str(stock)}
        response = self.post("/staff/products/new/", form)
        assert response.status_code == 302, f"product creation failed: {response.status_code} {response.text[:300]}"
        match = re.search(r'data-testid="stock" data-product-id="(\d+)"', self.get(f"/products/{slug}/").text)
        assert match, f"the new product {slug} has no page"
        return int(match.group(1)), slug

    def set_stock(self, product_id: int, stock: int | str) -> requests.Response:
        """As staff: the stock form on the staff pages."""
        return self.post(f"/staff/products/{product_id}/stock/", {"stock": str(stock)})

    # -- files ---------------------------------------------------------------------------------

    def upload_picture(self, product_id: int, data: bytes, filename: str = "photo.png") -> requests.Response:
        """As staff: upload or replace a product's picture, as the browser's file input sends it."""
        return self.post(f"/staff/products/{product_id}/image/", files={"image": (filename, data, "image/png")})

    def picture_url(self, slug: str) -> str | None:
        """The address of the picture the product page shows, or None when it shows none."""
        response = self.get(f"/products/{slug}/")
        assert response.status_code == 200, f"/products/{slug}/: {response.status_code}"
        return picture_in(response.text)

    def fetch(self, url: str) -> requests.Response:
        """GET an address a page showed: a path on this address, or a full URL elsewhere (S3)."""
        return self.get(url) if url.startswith("/") else requests.get(url, timeout=TIMEOUT)

    def generate_invoice(self, order_id: int) -> None:
        response = self.post(f"/orders/{order_id}/invoice/")
        assert response.status_code == 302, f"invoice: {response.status_code} {response.text[:300]}"


class ApiClient:
    """A client of the JSON API: obtains a token pair with a password, then sends `Authorization: Bearer`.

    `http` is `requests` itself (a client that keeps no cookies, like curl or a phone app) or a
    `requests.Session` (one that keeps them, like a browser's fetch()).
    """

    def __init__(self, target, http=requests, tokens: dict | None = None):
        self.base_url = url_of(target)
        self.http = http
        self.tokens = tokens or {}

    def at(self, target) -> ApiClient:
        return ApiClient(target, self.http, self.tokens)

    @property
    def access(self) -> str:
        return self.tokens["access"]

    def _bearer(self, access: str | None = None) -> dict:
        return {"Authorization": f"Bearer {access or self.access}"}

    def obtain(self, username: str, password: str = PASSWORD) -> requests.Response:
        """POST /api/auth/token; on 200 the client holds the new pair."""
        response = self.http.post(
            f"{self.base_url}/api/auth/token", json={"username": username, "password": password}, timeout=TIMEOUT
        )
        if response.status_code == 200:
            self.tokens = response.json()
        return response

    def log_in(self, username: str, password: str = PASSWORD) -> ApiClient:
        """obtain(), asserting it worked."""
        response = self.obtain(username, password)
        assert response.status_code == 200, f"token: {response.status_code} {response.text[:200]}"
        return self

    def refresh(self, refresh: str | None = None) -> requests.Response:
        """POST /api/auth/token/refresh with this client's refresh token (or the one given); keeps a new pair."""
        token = refresh or self.tokens["refresh"]
        response = self.http.post(f"{self.base_url}/api/auth/token/refresh", json={"refresh": token}, timeout=TIMEOUT)
        if response.status_code == 200 and refresh is None:
            self.tokens = {**self.tokens, **response.json()}
        return response

    def logout(self) -> requests.Response:
        return self.http.post(
            f"{self.base_url}/api/auth/logout",
            json={"refresh": self.tokens["refresh"]},
            headers=self._bearer(),
            timeout=TIMEOUT,
        )

    def logout_everywhere(self) -> requests.Response:
        """POST /api/auth/logout-everywhere: every login of the account ends, not only this client's."""
        return self.http.post(f"{self.base_url}/api/auth/logout-everywhere", headers=self._bearer(), timeout=TIMEOUT)

    def me(self, access: str | None = None) -> requests.Response:
        return self.http.get(f"{self.base_url}/api/me", headers=self._bearer(access), timeout=TIMEOUT)

    def cart(self) -> requests.Response:
        return self.http.get(f"{self.base_url}/api/cart", headers=self._bearer(), timeout=TIMEOUT)

    def add_to_cart(self, product_id, quantity=1) -> requests.Response:
        body = {"product": product_id, "quantity": quantity}
        return self.http.post(f"{self.base_url}/api/cart", json=body, headers=self._bearer(), timeout=TIMEOUT)

    def orders(self) -> requests.Response:
        return self.http.get(f"{self.base_url}/api/orders/", headers=self._bearer(), timeout=TIMEOUT)

    def send(self, path: str, body: str | bytes) -> requests.Response:
        """POST a body as it is, as JSON, with this client's token: for bodies json.dumps would not write."""
        headers = {**self._bearer(), "Content-Type": "application/json"}
        return self.http.post(f"{self.base_url}{path}", data=body, headers=headers, timeout=TIMEOUT)

    def check_out(self, headers: dict | None = None) -> requests.Response:
        return self.http.post(
            f"{self.base_url}/api/orders/", headers={**self._bearer(), **(headers or {})}, timeout=TIMEOUT
        )


def live_url(target, path: str) -> str:
    """The ws:// address of `path` on a replica or a load balancer."""
    return url_of(target).replace("http://", "ws://") + path


def product_group(product_id: int) -> str:
    """The channel-layer group a product page's socket joins, as both trees' live/broadcast.py name it."""
    return f"product-{product_id}"


class LiveSocket:
    """A page's WebSocket: opened as a page of that site opens it (its Origin, the visitor's cookies),
    read message by message or until a wanted one, and reconnected (maybe to another replica)."""

    def __init__(
        self,
        target,
        path: str,
        *,
        visitor: Visitor | None = None,
        origin: str | None = None,
        client_address: str | None = None,
    ):
        self.target, self.path, self.visitor = target, path, visitor
        self.origin = origin or url_of(target)
        self.client_address = client_address
        self.connection: ClientConnection | None = None

    def open(self, target=None) -> LiveSocket:
        """Connect (to `target` instead, when given, as a page that reconnects elsewhere). Raises
        websockets' InvalidStatus when the handshake is refused."""
        if target is not None:
            self.target = target
        self.close()
        cookies = self.visitor.cookie_header() if self.visitor else ""
        url = live_url(self.target, self.path)
        sock = None
        if self.client_address:  # from that loopback address, as Visitor does
            parts = urlsplit(url)
            sock = socket.create_connection((parts.hostname, parts.port), TIMEOUT, (self.client_address, 0))
        self.connection = connect(
            url,
            sock=sock,
            origin=self.origin,
            additional_headers={"Cookie": cookies} if cookies else None,
            open_timeout=TIMEOUT,
            close_timeout=2,
        )
        return self

    reconnect = open

    @property
    def served_by(self) -> str | None:
        """The replica that accepted the handshake (X-Served-By, as on every HTTP response)."""
        return self.connection.response.headers.get("X-Served-By") if self.connection else None

    def next(self, timeout: float = TIMEOUT) -> dict:
        return json.loads(self.connection.recv(timeout=timeout))

    def until(self, wanted, *, deadline: float = TIMEOUT) -> list[dict]:
        """Every message received until one is `wanted`, the deadline passes or the server closes the
        socket (recv waits; nothing sleeps)."""
        seen: list[dict] = []
        end = time.monotonic() + deadline
        while not (seen and wanted(seen[-1])):
            try:
                seen.append(self.next(timeout=max(end - time.monotonic(), 0.01)))
            except (TimeoutError, ConnectionClosed):
                break
        return seen

    def close_code(self, *, deadline: float = TIMEOUT) -> int | None:
        """Read until the server closes the socket: its close code, or None while it stays open past the deadline."""
        end = time.monotonic() + deadline
        try:
            while time.monotonic() < end:
                self.next(timeout=max(end - time.monotonic(), 0.01))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            pass
        return None

    def close(self) -> None:
        """Close the socket; reading it afterwards raises ConnectionClosed, as after the server closed it."""
        if self.connection is not None:
            self.connection.close()

    def __enter__(self) -> LiveSocket:
        return self if self.connection else self.open()

    def __exit__(self, *exc) -> None:
        self.close()


def picture_in(page: str) -> str | None:
    """The address of the product picture in a page's HTML, or None."""
    match = re.search(r'<img src="([^"]+)"[^>]*data-testid="product-image"', page)
    return html.unescape(match.group(1)) if match else None


def a_picture(colour: str) -> bytes:
    """A small PNG of one colour, so a test can tell whose picture it got back."""
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="PNG")
    return out.getvalue()


def picture_colour(data: bytes) -> tuple[int, int, int]:
    """The colour of a picture's first pixel, as a_picture() drew it."""
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((0, 0))
