"""A visitor of the shop over plain HTTP: one cookie jar, pointed at nginx or at one replica."""

from __future__ import annotations

import re
import uuid

import requests

PASSWORD = "correct-horse-battery-staple"


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
