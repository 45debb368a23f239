import logging

import botocore.exceptions
import redis
from django.conf import settings
from django.contrib.sessions import middleware
from django.http import HttpResponse, JsonResponse
from django.utils.cache import has_vary_header, patch_cache_control
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)


class ServedByMiddleware:
    """Name the replica on every response, so the load balancer's work can be watched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Served-By"] = settings.REPLICA_NAME
        response["X-App-Version"] = settings.APP_VERSION
        return response


def content_security_policy() -> str:
    """Everything from this site only, but pictures, which may come from where the files are stored."""
    files = settings.STORAGES["default"].get("OPTIONS", {}).get("public_endpoint_url") or ""
    return (
        f"default-src 'self'; img-src 'self' {files}".rstrip()
        + "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on every response, and `Cache-Control: private` on every response that
    depends on who asks (Vary: Cookie), so no shared cache between the browser and the shop keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        if has_vary_header(response, "Cookie") and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True)
        return response


class ServedByWebSocket:
    """The same header on WebSocket handshakes (config/asgi.py): they pass through no Django middleware."""

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


# An outage of a shared service, as redis-py, django-redis and botocore report it.
REDIS_OUTAGES = (redis.ConnectionError, redis.TimeoutError, ConnectionInterrupted)
S3_OUTAGES = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
RETRY_AFTER_SECONDS = 5
# Plain HTML: the site's templates read the session, which may be what is down.
OUTAGE_PAGE = "<!doctype html><title>Briefly unavailable</title><h1>Briefly unavailable</h1><p>{message}</p>"


class OutageMiddleware:
    """A shared service that does not answer is a quick 503 with Retry-After, never a 500 or a request
    served without it (no login without the rate limit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, REDIS_OUTAGES):
            dependency = "shared store (Redis)"
        elif isinstance(exception, S3_OUTAGES):
            dependency = "file storage (S3)"
        else:
            return None
        logger.error("%s is unavailable: %s", dependency, exception)
        message = f"The shop cannot reach its {dependency} right now. Please try again in a few seconds."
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(OUTAGE_PAGE.format(message=message), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class SessionMiddleware(middleware.SessionMiddleware):
    """Django's, except that a session Redis failed to save (it went away mid-request) gets the outage
    page, not a 500: an error in process_response reaches no middleware's process_exception."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except REDIS_OUTAGES as exception:
            return OutageMiddleware(self.get_response).process_exception(request, exception)
