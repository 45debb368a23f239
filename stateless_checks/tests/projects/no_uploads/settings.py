from pathlib import Path

from common import *

# Django's default storage is FileSystemStorage, but no model has a file field and no code stores a file.
BASE_DIR = Path(__file__).resolve().parent
INSTALLED_APPS = [*INSTALLED_APPS, "shop"]
MEDIA_ROOT = BASE_DIR / "media"
