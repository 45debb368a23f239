from pathlib import Path

from common import *

BASE_DIR = Path(__file__).resolve().parent
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
