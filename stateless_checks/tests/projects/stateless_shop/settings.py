from pathlib import Path

from common import *

BASE_DIR = Path(__file__).resolve().parent
INSTALLED_APPS = [*INSTALLED_APPS, "django_ratelimit", "rest_framework", "shop"]
REDIS = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://redis:6379/0"}
CACHES = {"default": REDIS, "sessions": REDIS}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "sessions"
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"}}
REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"]}
LOGGING = {"version": 1, "handlers": {"console": {"class": "logging.StreamHandler"}}}
