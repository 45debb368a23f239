from pathlib import Path

from common import *

BASE_DIR = Path(__file__).resolve().parent
INSTALLED_APPS = [*INSTALLED_APPS, "shop"]
