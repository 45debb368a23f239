from common import *

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework"]
REST_FRAMEWORK = {
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "100/day"},
}
