"""Settings for the shop. Every value comes from the environment, with local defaults that work."""

import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import environ
from botocore.config import Config
from django.conf import global_settings

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# The replica's own disk: what a container loses when it is replaced.
INSTANCE_DIR = Path(env("INSTANCE_DIR", default=str(BASE_DIR / "var")))
REPLICA_NAME = env("REPLICA_NAME", default=socket.gethostname())
# The image's version (its APP_VERSION build argument), so two versions serving at once can be told apart.
APP_VERSION = env("APP_VERSION", default="dev")
# The Redis every replica shares: where it is. Who connects is per purpose, below.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Or the Sentinels that know which Redis server is the primary (docs/07-deploys.md), "host:port,host:port,...":
# every alias and the channel layer ask them, and ask again after a failover. REDIS_URL then names the database.
REDIS_SENTINELS = [
    (host, int(port)) for host, _, port in (s.rpartition(":") for s in env.list("REDIS_SENTINELS", default=[]))
]
REDIS_SENTINEL_MASTER = env("REDIS_SENTINEL_MASTER", default="shop")


def redis_url(purpose: str, password: str) -> str:
    """REDIS_URL as Redis' ACL user for one purpose (compose/redis/acl.py: its own commands, keys and
    channels only). In the URL, not django-redis' USERNAME and PASSWORD options: it keeps one connection
    pool per URL, so aliases sharing a URL would all connect as whichever user came first. With no
    password, REDIS_URL as it is: Redis' default user, a Redis with no ACL, as in development. Behind
    Sentinel the host is the primary's name, which django-redis' Sentinel connection factory looks up."""
    if not password and not REDIS_SENTINELS:
        return REDIS_URL
    url = urlsplit(REDIS_URL)
    server = REDIS_SENTINEL_MASTER if REDIS_SENTINELS else url.netloc.rpartition("@")[2]
    user = f"shop-{purpose}:{quote(password, safe='')}@" if password else ""
    return url._replace(netloc=f"{user}{server}").geturl()


def redis_cache(key_prefix: str, location: str) -> dict:
    """A django-redis cache alias. One-second socket timeouts and no IGNORE_EXCEPTIONS: with Redis
    down, whatever uses the alias gets a quick error, never a silent miss. JSON, not django-redis'
    default pickle: a value read back from Redis is data, never code to run."""
    cache = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
        },
    }
    if REDIS_SENTINELS:
        # The primary only: not SentinelClient, which reads from the replica. Replication is asynchronous, and a
        # session or a revocation just written must be read back. The Sentinels get the same timeouts.
        sentinel = {"CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory", "SENTINELS": REDIS_SENTINELS}
        cache["OPTIONS"] |= sentinel
    return cache


def redis_channel_host(location: str) -> dict:
    """channels-redis' connection to Redis: the URL, or behind Sentinel the primary's name and who to ask."""
    if not REDIS_SENTINELS:
        return {"address": location, "socket_connect_timeout": 1}
    url = urlsplit(location)
    return {
        "master_name": REDIS_SENTINEL_MASTER,
        "sentinels": REDIS_SENTINELS,
        "sentinel_kwargs": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "username": url.username,
        "password": unquote(url.password or "") or None,
        "db": int(url.path.strip("/") or 0),
        "socket_connect_timeout": 1,
    }


REDIS_URLS = {
    "sessions": redis_url("sessions", env("REDIS_SESSIONS_PASSWORD", default="")),
    "limits": redis_url("limits", env("REDIS_LIMITS_PASSWORD", default="")),
    "channels": redis_url("channels", env("REDIS_CHANNELS_PASSWORD", default="")),
    "cache": redis_url("cache", env("REDIS_CACHE_PASSWORD", default="")),
}

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-only")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind TLS set SECURE=true; the local topologies and compose speak plain HTTP on loopback.
SECURE = env.bool("SECURE", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SECURE

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_ratelimit",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "accounts",
    "catalog",
    "cart",
    "orders",
    "api",
    "live",
    "stateless_checks",
]

MIDDLEWARE = [
    "config.middleware.ServedByMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.limits.TooManyAttemptsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
# Live updates over Redis pub/sub rather than RedisChannelLayer: each message is a snapshot, sent again
# when a page (re)connects and when a replica gets back to Redis (live/layers.py), so at-most-once
# delivery is enough; and pub/sub has no capacity or expiry that drops messages silently, nor group
# memberships in Redis that outlive a dead replica.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "live.layers.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [redis_channel_host(REDIS_URLS["channels"])]},
    },
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.replica",
                "cart.context_processors.cart",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share one SQLite file in the local topologies: take the write lock at
    # BEGIN and wait for it, instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # `django.core.cache.cache`: unused by the shop so far, and shared by every replica when it is used.
    "default": redis_cache("cache", REDIS_URLS["cache"]),
    # Sessions get an alias of their own: a Redis outage is a quick error, not a silent logout.
    "sessions": redis_cache("session", REDIS_URLS["sessions"]),
}

# Sessions: in Redis, where every replica finds them.
SESSION_ENGINE = "config.sessions"
SESSION_CACHE_ALIAS = "sessions"

# Checked when a password is chosen (sign-up): no short, common, all-digit or name-like passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's own list unless told: the behavioral suite's topologies name the fast MD5 hasher meant for tests.
PASSWORD_HASHERS = env.list("PASSWORD_HASHERS", default=global_settings.PASSWORD_HASHERS)
# Every password check counts against the account's and the client's allowance (accounts/limits.py).
AUTHENTICATION_BACKENDS = ["accounts.limits.PasswordAttemptsBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:me"
LOGOUT_REDIRECT_URL = "accounts:login"

# The JSON API (api/): bearer tokens only, JSON in and out.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
}
# API tokens: JWTs any replica can verify. Their own key, so rotating SECRET_KEY does not log out
# every API client; audience and issuer are only checked when set.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default="django-insecure-jwt-key-for-local-development-only"),
    "AUDIENCE": env("JWT_AUDIENCE", default="shop-api"),
    "ISSUER": env("JWT_ISSUER", default="shop"),
    # A hash of the password hash in every token: a password changed through any door ends them all.
    "CHECK_REVOKE_TOKEN": True,
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded and generated files: in an S3 bucket, private but for the product pictures (config/storages.py).
# Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, read by boto3 itself.
STORAGES = {
    "default": {
        "BACKEND": "config.storages.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME", default="shop-media"),
            "region_name": env("AWS_S3_REGION_NAME", default="us-east-1"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            # The replicas may reach S3 by a name browsers cannot resolve: picture URLs name this one.
            "public_endpoint_url": env("AWS_S3_PUBLIC_ENDPOINT_URL", default=None),
            # Anyone may read these keys (the bucket policy), so their URLs need no signature.
            "public_prefixes": ["products/"],
            "default_acl": None,
            "file_overwrite": False,
            "client_config": Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                # A slow store must not hold every worker.
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 3, "mode": "standard"},
                # Newer boto3 sends checksums that some S3-compatible servers reject.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# Failed password attempts per account and per client (accounts/limits.py), counted by django-ratelimit.
LOGIN_ATTEMPTS_PER_CLIENT = env("LOGIN_ATTEMPTS_PER_CLIENT", default="50/m")
RATELIMIT_USE_CACHE = "ratelimit"
# SET NX with a TTL, then an atomic INCR: exact across replicas, and every counter expires. No
# IGNORE_EXCEPTIONS: a Redis outage is an error, never a limit that silently opens.
CACHES["ratelimit"] = redis_cache("ratelimit", REDIS_URLS["limits"])
