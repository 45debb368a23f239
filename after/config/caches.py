"""One django-redis client per process for each cache alias.

`caches[alias]` gives each thread a client of its own, and under ASGI Django runs each request in a
thread of its own: a new client for every request, a measurable share of a page's time
(docs/01-sessions.md). redis-py's connection pool is thread-safe, so one client serves every thread.
"""

from functools import cache

from django.core.cache import caches


@cache
def shared_cache(alias: str):
    return caches.create_connection(alias)
