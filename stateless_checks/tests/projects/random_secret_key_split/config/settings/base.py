import os
import secrets

from common import *


def _secret_key():
    return os.environ.get("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))


SECRET_KEY = _secret_key()
