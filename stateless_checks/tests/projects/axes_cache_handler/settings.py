from common import *

INSTALLED_APPS = [*INSTALLED_APPS, "axes"]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
SILENCED_SYSTEM_CHECKS = ["axes.W003"]
