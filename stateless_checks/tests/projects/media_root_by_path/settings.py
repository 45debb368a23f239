from pathlib import Path

from common import *

BASE_DIR = Path(__file__).resolve().parent
INSTALLED_APPS = [*INSTALLED_APPS, "shop"]
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
