from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host


class SameOriginValidator:
    """A WebSocket from a page of this site only: the Origin's scheme, host and port must be the
    handshake's own. Channels' AllowedHostsOriginValidator compares hosts alone, so a page on another
    port or scheme of the same host (another app, a plain-HTTP copy) could listen in."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        headers = {name.decode("latin1"): value.decode("latin1") for name, value in scope.get("headers", [])}
        host = headers.get("host", "")
        scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        origin = urlsplit(headers.get("origin", ""))
        domain, _ = split_domain_port(host)
        same = f"{origin.scheme}://{origin.netloc}".lower() == f"{scheme}://{host}".lower()
        if same and validate_host(domain, settings.ALLOWED_HOSTS):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
