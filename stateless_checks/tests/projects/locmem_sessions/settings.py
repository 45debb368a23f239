from common import *

# CACHES is left out: Django's default is one LocMemCache.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
