import logging

import botocore.exceptions
import redis
from django.conf import settings
from django.http import HttpResponse, JsonResponse
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


# An outage of a shared service, as redis-py, django-redis and botocore report it.
REDIS_OUTAGES = (redis.ConnectionError, redis.TimeoutError, ConnectionInterrupted)
S3_OUTAGES = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
RETRY_AFTER_SECONDS = 5
# Plain HTML: the site's templates read the session, which may be what is down.
OUTAGE_PAGE = "<!doctype html><title>Briefly unavailable</title><h1>Briefly unavailable</h1><p>{message}</p>"


class OutageMiddleware:
    """A shared service that does not answer is a quick 503 with Retry-After, never a 500 or a request
    served without it (no login without the rate limit, no token without the revocation check)."""

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
