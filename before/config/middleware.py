from django.conf import settings


class ServedByMiddleware:
    """Name the replica on every response, so the load balancer's work can be watched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Served-By"] = settings.REPLICA_NAME
        return response


class ServedByWebSocket:
    """The same header on WebSocket handshakes (config/asgi.py): they pass through no Django middleware."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_named(message):
            if message["type"] == "websocket.accept":
                served_by = (b"x-served-by", settings.REPLICA_NAME.encode())
                message = {**message, "headers": [*message.get("headers", []), served_by]}
            await send(message)

        return await self.app(scope, receive, send_named)
