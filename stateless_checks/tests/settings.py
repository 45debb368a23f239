"""A stateless project in a few lines: the tests change one setting at a time and expect one warning."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "stateless-checks-tests"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "stateless_checks",
    "tests.uploads",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # An ACL user with a password, and values decoded as JSON: a Redis a replica may trust.
    "shared": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://shop-sessions:secret@127.0.0.1:6379/0",
        "OPTIONS": {"SERIALIZER": "django_redis.serializers.json.JSONSerializer"},
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "shared"
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": "redis://shop-channels:secret@127.0.0.1:6379/0"}]},
    }
}
