from pathlib import Path

from common import *

BASE_DIR = Path(__file__).resolve().parent
INSTALLED_APPS = [*INSTALLED_APPS, "shop"]
# Django 5.1 removed this setting: without STORAGES, files go to FileSystemStorage.
DEFAULT_FILE_STORAGE = "storages.backends.s3.S3Storage"
