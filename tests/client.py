"""A visitor of the shop over plain HTTP: one cookie jar, pointed at nginx or at one replica."""

from __future__ import annotations

import html
import io
import re
import uuid

import requests
from PIL import Image

PASSWORD = "correct-horse-battery-staple"
STAFF = ("staff", "staff-password-123")  # seeded by `manage.py seed_shop`


class Visitor:
    """Acts like a browser tab: keeps cookies, sends the CSRF token back, follows no redirect unasked.

    `visitor.at(replica)` is the same visitor (same cookies) talking to another address, which is
    how a test logs in on replica A and then reads its cart on replica B.
    """

    def __init__(self, base_url: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = session or requests.Session()

    def at(self, target) -> Visitor:
        return Visitor(getattr(target, "url", target), self.http)

    # -- HTTP ----------------------------------------------------------------------------------

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        return self.http.get(self.base_url + path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        """POST a form as a browser would: with the CSRF token Django put in the cookie."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        token = self.http.cookies.get("csrftoken")
        if token is None:
            self.get("/accounts/login/")
            token = self.http.cookies.get("csrftoken")
        headers = {"X-CSRFToken": token or "", **kwargs.pop("headers", {})}
        return self.http.post(self.base_url + path, data=data, headers=headers, **kwargs)

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

    def log_in_as_staff(self) -> None:
        response = self.log_in(*STAFF)
        assert response.status_code == 302, f"staff login failed: {response.status_code}"

    # -- the shop ------------------------------------------------------------------------------

    def products(self) -> dict[str, int]:
        """{slug: product id} for every product the home page lists."""
        html = self.get("/").text
        return {slug: int(pk) for pk, slug in re.findall(r'data-product-id="(\d+)" data-slug="([^"]+)"', html)}

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

    def check_out(self) -> requests.Response:
        return self.post("/checkout/")

    def order_ids(self) -> list[int]:
        """The orders the history page lists, newest first."""
        return [int(pk) for pk in re.findall(r'data-testid="order" data-order-id="(\d+)"', self.get("/orders/").text)]

    def create_product(self, *, stock: int, price: str = "5.00") -> tuple[int, str]:
        """As staff: a new product with a unique slug, through the staff page. Returns (id, slug)."""
        slug = f"test-{uuid.uuid4().hex[:10]}"
        form = {"name": f"Test product {slug}", "slug": slug, "description": "", "price": price, "stock": str(stock)}
        response = self.post("/staff/products/new/", form)
        assert response.status_code == 302, f"product creation failed: {response.status_code} {response.text[:300]}"
        match = re.search(r'data-testid="stock" data-product-id="(\d+)"', self.get(f"/products/{slug}/").text)
        assert match, f"the new product {slug} has no page"
        return int(match.group(1)), slug

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
        return self.get(url) if url.startswith("/") else requests.get(url, timeout=10)

    def place_order(self, product_id: int, quantity: int = 1) -> int:
        """Add to the cart and check out; returns the new order's id."""
        self.add_to_cart(product_id, quantity)
        checkout = self.check_out()
        placed = re.fullmatch(r"/orders/(\d+)/", checkout.headers.get("Location", ""))
        assert checkout.status_code == 302 and placed, f"checkout: {checkout.status_code} {checkout.text[:300]}"
        return int(placed.group(1))

    def generate_invoice(self, order_id: int) -> None:
        response = self.post(f"/orders/{order_id}/invoice/")
        assert response.status_code == 302, f"invoice: {response.status_code} {response.text[:300]}"


def picture_in(page: str) -> str | None:
    """The address of the product picture in a page's HTML, or None."""
    match = re.search(r'<img src="([^"]+)"[^>]*data-testid="product-image"', page)
    return html.unescape(match.group(1)) if match else None


def a_picture(colour: str) -> bytes:
    """A small PNG of one colour, so a test can tell whose picture it got back."""
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="PNG")
    return out.getvalue()
