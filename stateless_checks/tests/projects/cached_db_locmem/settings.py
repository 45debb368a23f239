from common import *

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
