from pathlib import Path

from common import *

# cookiecutter-django's production settings: files in S3, MEDIA_ROOT still set by the base settings.
BASE_DIR = Path(__file__).resolve().parent.parent
INSTALLED_APPS = [*INSTALLED_APPS, "shop"]
ROOT_URLCONF = "config.urls"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "https://shop-media.s3.amazonaws.com/media/"
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"location": "media"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
