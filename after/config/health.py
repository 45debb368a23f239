"""Probes for the load balancer or orchestrator: /healthz, the process answers; /readyz, so does what it needs."""

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django_redis import get_redis_connection

logger = logging.getLogger(__name__)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    for alias in (settings.SESSION_CACHE_ALIAS, settings.RATELIMIT_USE_CACHE):
        get_redis_connection(alias).ping()


def _s3() -> None:
    default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)


# What a request may need besides this process: each answers, or the replica is not ready.
DEPENDENCIES = {"database": _database, "redis": _redis, "s3": _s3}


def readyz(request):
    report = {}
    for name, check in DEPENDENCIES.items():
        try:
            check()
            report[name] = "ok"
        except Exception:
            logger.warning("readyz: %s is down", name, exc_info=True)
            report[name] = "down"
    ready = all(state == "ok" for state in report.values())
    return JsonResponse(report, status=200 if ready else 503, headers={"Cache-Control": "no-store"})
