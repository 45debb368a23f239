"""Django's cache-backed sessions, except that a store that does not answer is an error, not an empty session.

Django's loader reads any cache error as "no session" (memcached rejects some keys): with Redis down
that would be a silent logout. Here the error propagates: the request fails rather than carrying on
with no login and an empty cart. A value that is not a session (not JSON, or not an object: someone
wrote the key who should not have) is refused and logged, and the visitor starts a new session.
And one Redis client per process (config/caches.py), not one per request.
"""

import logging

from django.conf import settings
from django.contrib.sessions.backends import cache
from django.contrib.sessions.backends.base import SessionBase

from config.caches import shared_cache

logger = logging.getLogger(__name__)


class SessionStore(cache.SessionStore):
    def __init__(self, session_key=None):
        SessionBase.__init__(self, session_key)  # not cache.SessionStore's, which takes a client per request
        self._cache = shared_cache(settings.SESSION_CACHE_ALIAS)

    def _session_or_new(self, session_data) -> dict:
        if isinstance(session_data, dict):
            return session_data
        if session_data is not None:
            # Not the session key itself in the log: it is the visitor's credential.
            logger.warning("Refused a stored session that is not one (%s): a new session", type(session_data).__name__)
        self._session_key = None
        return {}

    def load(self):
        try:
            return self._session_or_new(self._cache.get(self.cache_key))
        except ValueError as exc:  # the JSON serializer's UnicodeDecodeError or JSONDecodeError; an outage is not one
            return self._session_or_new(exc)

    async def aload(self):
        try:
            return self._session_or_new(await self._cache.aget(await self.acache_key()))
        except ValueError as exc:
            return self._session_or_new(exc)
