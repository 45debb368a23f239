import os

from common import *

# A fixed fallback is the same on every replica: Django's --deploy checks, not these, say it is weak.
SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-local-development-only")
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
