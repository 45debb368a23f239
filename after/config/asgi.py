import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.storage import storages  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402


class ServedByWebSocket:
    """X-Served-By on WebSocket handshakes too: they pass through no Django middleware (ServedByMiddleware)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_named(message):
            if message["type"] == "websocket.accept":
                served_by = (b"x-served-by", settings.REPLICA_NAME.encode())
                version = (b"x-app-version", settings.APP_VERSION.encode())
                message = {**message, "headers": [*message.get("headers", []), served_by, version]}
            await send(message)

        return await self.app(scope, receive, send_named)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": ServedByWebSocket(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Build now what the first requests would (every view module, the file storage), then freeze it all: it
# lives as long as the process, and a full garbage collection, which walks every object it tracks while
# the replica waits, then skips it. docs/benchmarks.md measures the pause, with and without.
get_resolver().url_patterns  # noqa: B018
storages["default"]
gc.collect()
gc.freeze()
