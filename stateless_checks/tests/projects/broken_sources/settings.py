from pathlib import Path

from common import *

# tests/test_projects.py adds the broken files (latin-1, a dangling symlink, a syntax error, a null
# byte) to a copy of shop/ before each run: kept out of the repository, where they would trip tools.
BASE_DIR = Path(__file__).resolve().parent
INSTALLED_APPS = [*INSTALLED_APPS, "shop"]
