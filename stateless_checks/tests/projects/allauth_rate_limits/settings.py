from common import *

INSTALLED_APPS = [*INSTALLED_APPS, "allauth", "allauth.account"]
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/key"}
