import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.files.storage import storages  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from config.keys import refuse_published_keys  # noqa: E402
from config.middleware import ServedByWebSocket  # noqa: E402
from live.origins import SameOriginValidator  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

refuse_published_keys()
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": ServedByWebSocket(SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
    }
)

# Build now what the first requests would (every view module, the file storage), then freeze it all: it
# lives as long as the process, and a full garbage collection, which walks every object it tracks while
# the replica waits, then skips it. docs/benchmarks.md measures the pause, with and without.
get_resolver().url_patterns  # noqa: B018
storages["default"]
gc.collect()
gc.freeze()
