from common import *

INSTALLED_APPS = [*INSTALLED_APPS, "django_ratelimit"]
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
