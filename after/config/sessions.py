"""Django's cache-backed sessions, except that a store that does not answer is an error, not an empty session.

Django's loader reads any cache error as "no session" (memcached rejects some keys): with Redis down
that would be a silent logout. Here the error propagates: the request fails rather than carrying on
with no login and an empty cart. And one Redis client per process (config/caches.py), not one per request.
"""

from django.conf import settings
from django.contrib.sessions.backends import cache
from django.contrib.sessions.backends.base import SessionBase

from config.caches import shared_cache


class SessionStore(cache.SessionStore):
    def __init__(self, session_key=None):
        SessionBase.__init__(self, session_key)  # not cache.SessionStore's, which takes a client per request
        self._cache = shared_cache(settings.SESSION_CACHE_ALIAS)

    def load(self):
        session_data = self._cache.get(self.cache_key)
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}

    async def aload(self):
        session_data = await self._cache.aget(await self.acache_key())
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
