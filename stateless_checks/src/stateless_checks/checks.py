"""The checks, one per pattern the workshop teaches, each pointing at the docs part that fixes it.

They are Warnings, never Errors: each is a piece of state a person decides about, and a warning
neither stops `migrate` nor the server. Registered like Django's own checks (not deploy-only),
so `manage.py check --tag stateless` runs exactly these.
"""

import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.cache import BaseCache
from django.utils.connection import ConnectionProxy
from django.utils.module_loading import import_string

from stateless_checks.module_state import module_state_find

TAG = "stateless"

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its entries in each process's memory",
    "django.core.cache.backends.filebased.FileBasedCache": "keeps its entries on this server's disk",
    "django.core.cache.backends.dummy.DummyCache": "keeps nothing at all",
}
# Cache.incr() there is a read and then a write: two requests at once count one.
NON_ATOMIC_CACHES = {"django.core.cache.backends.db.DatabaseCache": "has no atomic increment"}
DJANGO_REDIS = "django_redis.cache.RedisCache"
FILE_SESSIONS = "django.contrib.sessions.backends.file"
CACHE_SESSIONS = "django.contrib.sessions.backends.cache"
CACHED_DB_SESSIONS = "django.contrib.sessions.backends.cached_db"
LOCAL_STORAGES = {
    "django.core.files.storage.FileSystemStorage": "on this server's disk",
    "django.core.files.storage.InMemoryStorage": "in this process's memory",
}
IN_MEMORY_CHANNEL_LAYER = "channels.layers.InMemoryChannelLayer"
JWT_BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"


def _docs(*parts: str) -> str:
    return "See " + " and ".join(f"docs/{part}.md" for part in parts) + "."


def _is_a(path: str, base: str) -> bool:
    """Whether the class at `path` is `base` or a subclass of it; an unimportable one is neither."""
    if path == base:
        return True
    try:
        return issubclass(import_string(path), import_string(base))
    except (ImportError, TypeError):
        return False


def _kind_of(path: str, kinds: dict[str, str]) -> str | None:
    """The reason `kinds` gives for the first base class `path` is, if any."""
    return next((reason for base, reason in kinds.items() if _is_a(path, base)), None)


def _cache_backend(alias: str) -> str | None:
    return settings.CACHES.get(alias, {}).get("BACKEND")


def _cache_ignores_exceptions(alias: str) -> bool:
    """django-redis turns Redis errors into cache misses with IGNORE_EXCEPTIONS, per alias or globally."""
    config = settings.CACHES.get(alias, {})
    if not _is_a(config.get("BACKEND", ""), DJANGO_REDIS):
        return False
    default = getattr(settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", False)
    return bool(config.get("OPTIONS", {}).get("IGNORE_EXCEPTIONS", default))


def _session_engine_is(base: str) -> bool:
    return _is_a(f"{settings.SESSION_ENGINE}.SessionStore", f"{base}.SessionStore")


@checks.register(TAG)
def check_sessions(app_configs, **kwargs):
    if _session_engine_is(FILE_SESSIONS):
        path = settings.SESSION_FILE_PATH or tempfile.gettempdir()
        return [
            checks.Warning(
                f"Sessions are kept in files under {path}, on this server's disk: another replica has never "
                "heard of them, and a new container starts with none.",
                hint="Keep sessions where every replica finds them: the cache backend on a shared cache (Redis), "
                "the database backend, or signed cookies. " + _docs("01-sessions"),
                obj="SESSION_ENGINE",
                id="stateless.W001",
            )
        ]
    cached_db = _session_engine_is(CACHED_DB_SESSIONS)
    if not (cached_db or _session_engine_is(CACHE_SESSIONS)):
        return []
    alias = settings.SESSION_CACHE_ALIAS
    backend = _cache_backend(alias) or ""
    reason = _kind_of(backend, PER_PROCESS_CACHES)
    # cached_db on a dummy cache simply reads the database every time, which every replica shares.
    if reason and not (cached_db and _is_a(backend, "django.core.cache.backends.dummy.DummyCache")):
        return [
            checks.Warning(
                f'Sessions are kept in the cache "{alias}" ({backend}), which {reason}: a replica does not see '
                "a login, a cart or a logout that happened on another.",
                hint="Point SESSION_CACHE_ALIAS at a cache every replica shares (Redis). " + _docs("01-sessions"),
                obj=f"CACHES[{alias!r}]",
                id="stateless.W002",
            )
        ]
    if not cached_db and _cache_ignores_exceptions(alias):
        return [
            checks.Warning(
                f'The session cache "{alias}" ignores Redis errors (IGNORE_EXCEPTIONS): during an outage every '
                "visitor is silently logged out, and each new session retries cache.add() many times.",
                hint="Give sessions a cache alias of their own without IGNORE_EXCEPTIONS and with "
                "SOCKET_CONNECT_TIMEOUT and SOCKET_TIMEOUT, so an outage is a quick error. " + _docs("01-sessions"),
                obj=f"CACHES[{alias!r}]",
                id="stateless.W003",
            )
        ]
    return []


@checks.register(TAG)
def check_rate_limit_cache(app_configs, **kwargs):
    if not apps.is_installed("django_ratelimit"):
        return []
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = _cache_backend(alias)
    if backend is None:
        return []  # django_ratelimit.E002 says so already.
    counted = f'django-ratelimit counts in the cache "{alias}" ({backend}), which'
    hint = "Set RATELIMIT_USE_CACHE to a cache every replica shares with an atomic increment (django-redis). "
    if reason := _kind_of(backend, PER_PROCESS_CACHES):
        message, id = f"{counted} {reason}: every replica allows the full limit.", "stateless.W010"
    elif reason := _kind_of(backend, NON_ATOMIC_CACHES):
        message, id = f"{counted} {reason}: requests at the same moment are counted once.", "stateless.W011"
    elif _cache_ignores_exceptions(alias):
        message = f"{counted} ignores Redis errors (IGNORE_EXCEPTIONS): during an outage the limit silently opens."
        hint, id = "Leave IGNORE_EXCEPTIONS off on the rate-limit cache. ", "stateless.W012"
    else:
        return []
    return [checks.Warning(message, hint=hint + _docs("05-rate-limits"), obj=f"CACHES[{alias!r}]", id=id)]


def _throttle_backend(throttle: str) -> str | None:
    try:
        cache = getattr(import_string(throttle), "cache", None)
    except ImportError:
        return None
    if isinstance(cache, ConnectionProxy):  # django.core.cache.cache, DRF's default: a proxy to one alias
        return _cache_backend(cache._alias)
    if isinstance(cache, BaseCache):
        return f"{type(cache).__module__}.{type(cache).__qualname__}"
    return None


@checks.register(TAG)
def check_throttle_cache(app_configs, **kwargs):
    if not apps.is_installed("rest_framework"):
        return []
    config = getattr(settings, "REST_FRAMEWORK", {})
    throttles = config.get("DEFAULT_THROTTLE_CLASSES", [])
    # Rates without default classes mean views set throttle_classes: DRF's own throttles use the default cache.
    backends = {t: _throttle_backend(t) for t in throttles}
    if config.get("DEFAULT_THROTTLE_RATES") and not throttles:
        backends["rest_framework.throttling.SimpleRateThrottle"] = _cache_backend("default")
    warnings = []
    for throttle, backend in backends.items():
        if backend and (reason := _kind_of(backend, PER_PROCESS_CACHES)):
            warnings.append(
                checks.Warning(
                    f"The DRF throttle {throttle} counts in {backend}, which {reason}: every replica allows the "
                    "full rate.",
                    hint="Give the throttle a cache every replica shares (Redis); DRF throttles read, then write, "
                    "so even then counts are not exact under concurrency. " + _docs("05-rate-limits"),
                    obj="REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES']",
                    id="stateless.W013",
                )
            )
    return warnings


@checks.register(TAG)
def check_file_storage(app_configs, **kwargs):
    config = getattr(settings, "STORAGES", {}).get("default", {})
    backend = config.get("BACKEND", "")
    if where := _kind_of(backend, LOCAL_STORAGES):
        location = config.get("OPTIONS", {}).get("location") or settings.MEDIA_ROOT
        if where == LOCAL_STORAGES["django.core.files.storage.FileSystemStorage"]:
            where = f"under {location}, {where}"
        return [
            checks.Warning(
                f"Uploaded and generated files are stored by {backend} {where}: other replicas cannot serve "
                "them, and a new container starts without them.",
                hint="Store them in object storage every replica reaches (django-storages' S3Storage) and hand out "
                "presigned URLs. " + _docs("02-uploaded-files", "03-generated-files"),
                obj="STORAGES['default']",
                id="stateless.W020",
            )
        ]
    if settings.MEDIA_ROOT:
        return [
            checks.Warning(
                f"MEDIA_ROOT is {settings.MEDIA_ROOT}, a directory on this server's disk, though the default "
                f"storage is {backend}.",
                hint="If code still writes there by path, write through the default storage instead; if nothing "
                "does, remove the setting. " + _docs("02-uploaded-files"),
                obj="MEDIA_ROOT",
                id="stateless.W021",
            )
        ]
    return []


@checks.register(TAG)
def check_log_files(app_configs, **kwargs):
    handlers = (getattr(settings, "LOGGING", None) or {}).get("handlers", {})
    return [
        checks.Warning(
            f'The logging handler "{name}" writes to {handler["filename"]}, on this server\'s disk: the log is '
            "split over the replicas and lost with the container.",
            hint="Log to stdout or stderr (logging.StreamHandler) and let the platform collect it. "
            + _docs("07-deploys"),
            obj=f"LOGGING['handlers'][{name!r}]",
            id="stateless.W022",
        )
        for name, handler in handlers.items()
        if handler.get("filename")
    ]


@checks.register(TAG)
def check_channel_layers(app_configs, **kwargs):
    return [
        checks.Warning(
            f'The channel layer "{alias}" ({config["BACKEND"]}) keeps groups in this process\'s memory: a message '
            "sent on one replica never reaches the clients connected to another.",
            hint="Use a layer every replica shares: channels_redis' RedisChannelLayer or RedisPubSubChannelLayer. "
            + _docs("04-live-updates"),
            obj=f"CHANNEL_LAYERS[{alias!r}]",
            id="stateless.W030",
        )
        for alias, config in getattr(settings, "CHANNEL_LAYERS", {}).items()
        if _is_a(config.get("BACKEND", ""), IN_MEMORY_CHANNEL_LAYER)
    ]


def _uses_simplejwt() -> bool:
    authentication = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_AUTHENTICATION_CLASSES", [])
    return (
        hasattr(settings, "SIMPLE_JWT")
        or apps.is_installed("rest_framework_simplejwt")
        or any(path.startswith("rest_framework_simplejwt.") for path in authentication)
    )


@checks.register(TAG)
def check_simplejwt(app_configs, **kwargs):
    if not _uses_simplejwt():
        return []
    config = getattr(settings, "SIMPLE_JWT", {})
    hint = _docs("06-api-tokens")
    warnings = []
    if not apps.is_installed(JWT_BLACKLIST_APP):
        warnings.append(
            checks.Warning(
                f"SimpleJWT is used without {JWT_BLACKLIST_APP}: logging out cannot revoke a refresh token, and "
                "BLACKLIST_AFTER_ROTATION is silently skipped.",
                hint=f'Add "{JWT_BLACKLIST_APP}" to INSTALLED_APPS and migrate. ' + hint,
                obj="INSTALLED_APPS",
                id="stateless.W040",
            )
        )
    if config.get("SIGNING_KEY", settings.SECRET_KEY) == settings.SECRET_KEY:
        warnings.append(
            checks.Warning(
                "SimpleJWT signs tokens with SECRET_KEY (SIMPLE_JWT['SIGNING_KEY'] is unset or equal to it): "
                "rotating SECRET_KEY logs out every API client.",
                hint="Give tokens a key of their own, from the environment, the same on every replica. " + hint,
                obj="SIMPLE_JWT['SIGNING_KEY']",
                id="stateless.W041",
            )
        )
    missing = [name for name in ("AUDIENCE", "ISSUER") if not config.get(name)]
    if missing:
        warnings.append(
            checks.Warning(
                f"SimpleJWT sets no {' and no '.join(missing)}: a token signed with the same key for another "
                "service is accepted here.",
                hint="Set SIMPLE_JWT['AUDIENCE'] and SIMPLE_JWT['ISSUER'], so they are checked. " + hint,
                obj="SIMPLE_JWT",
                id="stateless.W042",
            )
        )
    return warnings


def _project_app_paths(app_configs) -> list[Path]:
    """The apps the project wrote itself: under BASE_DIR, and not an installed package."""
    base_dir = getattr(settings, "BASE_DIR", None)
    paths = []
    for app_config in app_configs or apps.get_app_configs():
        path = Path(app_config.path).resolve()
        if {"site-packages", "dist-packages"} & set(path.parts):
            continue
        if base_dir is None or path.is_relative_to(Path(base_dir).resolve()):
            paths.append(path)
    return paths


@checks.register(TAG)
def check_module_state(app_configs, **kwargs):
    base_dir = Path(getattr(settings, "BASE_DIR", Path.cwd())).resolve()
    warnings = []
    for app_path in _project_app_paths(app_configs):
        for finding in module_state_find(path=app_path):
            file = finding.file.relative_to(base_dir) if finding.file.is_relative_to(base_dir) else finding.file
            lines = ("lines " if len(finding.write_lines) > 1 else "line ") + ", ".join(map(str, finding.write_lines))
            warnings.append(
                checks.Warning(
                    f"Module-level `{finding.name}` is written inside functions ({lines}): if that happens "
                    "while serving requests, each process keeps its own copy, which other replicas never see and "
                    "a restart loses.",
                    hint="Keep it in the database or a shared cache (Redis). If it is a cache that can be rebuilt, "
                    "say so with functools.lru_cache, or end the line with `# stateless: warm`. "
                    + _docs("06-api-tokens", "08-warm-state"),
                    obj=f"{file}:{finding.line}",
                    id="stateless.W050",
                )
            )
    return warnings
