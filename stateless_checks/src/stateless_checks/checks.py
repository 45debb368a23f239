"""The checks, one per pattern the workshop teaches, each pointing at the docs part that fixes it.

Tag `stateless`: state one replica keeps to itself, which another replica never sees and a new
container starts without. Tag `stateless_hardening`: shared state set up so that it fails quietly, and
advice about tokens any replica verifies; useful, but not per-replica state, so kept apart.

They are Warnings, never Errors: each is a piece of state a person decides about, and a warning
neither stops `migrate` nor the server. A check that fails on something unforeseen reports
stateless.I001 instead of raising, since checks run on every management command.
"""

import functools
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import django
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.cache import BaseCache
from django.utils.connection import ConnectionProxy
from django.utils.module_loading import import_string

from stateless_checks import code_scan
from stateless_checks.module_state import module_state_find
from stateless_checks.sources import Source, project_sources, relative

TAG = "stateless"
HARDENING_TAG = "stateless_hardening"
# The published docs: this repository's docs/ folder.
DOCS_URL = "https://github.com/stateless-shop/stateless-shop/blob/main/docs/"

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its entries in each process's memory",
    "django.core.cache.backends.filebased.FileBasedCache": "keeps its entries on this server's disk",
    "django.core.cache.backends.dummy.DummyCache": "keeps nothing at all",
}
# A cache a process writes to as a store: the dummy cache keeps nothing, which is not a replica's state.
STORE_CACHES = {k: v for k, v in PER_PROCESS_CACHES.items() if not k.endswith("DummyCache")}
# Cache.incr() there is a read and then a write: two requests at once count one.
NON_ATOMIC_CACHES = {"django.core.cache.backends.db.DatabaseCache": "has no atomic increment"}
DJANGO_REDIS = "django_redis.cache.RedisCache"
DJANGO_REDIS_PICKLE = "django_redis.serializers.pickle.PickleSerializer"
# Django's own Redis backend pickles every value, and takes no other serializer.
DJANGO_CACHE_REDIS = "django.core.cache.backends.redis.RedisCache"
FILE_SESSIONS = "django.contrib.sessions.backends.file"
CACHE_SESSIONS = "django.contrib.sessions.backends.cache"
CACHED_DB_SESSIONS = "django.contrib.sessions.backends.cached_db"
LOCAL_STORAGES = {
    "django.core.files.storage.FileSystemStorage": "on this server's disk",
    "django.core.files.storage.InMemoryStorage": "in this process's memory",
}
IN_MEMORY_CHANNEL_LAYER = "channels.layers.InMemoryChannelLayer"
REDIS_CHANNEL_LAYERS = ("channels_redis.core.RedisChannelLayer", "channels_redis.pubsub.RedisPubSubChannelLayer")
JWT_BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"
AXES_CACHE_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_DEFAULT_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
SQLITE_ENGINES = ("django.db.backends.sqlite3", "django.contrib.gis.db.backends.spatialite")


def _docs(*parts: str) -> str:
    return "See " + " and ".join(f"{DOCS_URL}{part}.md" for part in parts) + "."


def register(*tags: str):
    """checks.register, but an unforeseen error becomes stateless.I001 rather than a failed command."""

    def decorator(check):
        @functools.wraps(check)
        def guarded(app_configs=None, **kwargs):
            try:
                return check(app_configs, **kwargs)
            except Exception as error:
                return [
                    checks.Info(
                        f"stateless_checks could not finish {check.__name__}: {error!r}",
                        hint="Nothing is wrong with the project for this; the check has a bug worth reporting.",
                        id="stateless.I001",
                    )
                ]

        return checks.register(*tags)(guarded)

    return decorator


def _is_a(path: str, base: str) -> bool:
    """Whether the class at `path` is `base` or a subclass of it; an unimportable one is neither."""
    if path == base:
        return True
    try:
        return issubclass(import_string(path), import_string(base))
    except (ImportError, TypeError, ValueError):
        return False


def _kind_of(path: str, kinds: dict[str, str]) -> str | None:
    """The reason `kinds` gives for the first base class `path` is, if any."""
    return next((reason for base, reason in kinds.items() if _is_a(path, base)), None)


def _cache_backend(alias: str) -> str | None:
    return settings.CACHES.get(alias, {}).get("BACKEND")


def _per_process_cache(alias: str, kinds=PER_PROCESS_CACHES) -> tuple[str, str] | None:
    """(backend, reason) when the cache `alias` is one each process keeps to itself."""
    backend = _cache_backend(alias)
    reason = _kind_of(backend, kinds) if backend else None
    return (backend, reason) if reason else None


def _cache_ignores_exceptions(alias: str) -> bool:
    """django-redis turns Redis errors into cache misses with IGNORE_EXCEPTIONS, per alias or globally."""
    config = settings.CACHES.get(alias, {})
    if not _is_a(config.get("BACKEND", ""), DJANGO_REDIS):
        return False
    default = getattr(settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", False)
    return bool(config.get("OPTIONS", {}).get("IGNORE_EXCEPTIONS", default))


def _session_engine_is(base: str) -> bool:
    return _is_a(f"{settings.SESSION_ENGINE}.SessionStore", f"{base}.SessionStore")


def _base_dir() -> Path | None:
    base_dir = getattr(settings, "BASE_DIR", None)
    return Path(base_dir).resolve() if base_dir else None


def _project_app_paths(app_configs) -> list[Path]:
    """The apps the project wrote itself: under BASE_DIR, and not an installed package (nor this one)."""
    base_dir = _base_dir()
    own = Path(__file__).resolve().parent
    paths = []
    for app_config in app_configs or apps.get_app_configs():
        path = Path(app_config.path).resolve()
        if {"site-packages", "dist-packages"} & set(path.parts) or path == own:
            continue
        if base_dir is None or path.is_relative_to(base_dir):
            paths.append(path)
    return paths


def _project_roots(app_configs) -> list[Path]:
    """The project's apps, and the package that holds its settings (`config/`: urls, storages, middleware)."""
    roots = _project_app_paths(app_configs)
    module = sys.modules.get((settings.SETTINGS_MODULE or "").split(".")[0])
    base_dir = _base_dir()
    if module is not None and getattr(module, "__path__", None):
        package = Path(next(iter(module.__path__))).resolve()
        if base_dir is not None and package.is_relative_to(base_dir) and package != base_dir:
            roots.append(package)
    return roots


def _sources(app_configs) -> list[Source]:
    return project_sources(_project_roots(app_configs))


def _where(file: Path, line: int) -> str:
    return f"{relative(file, _base_dir() or Path.cwd())}:{line}"


def _by_file(found: list[tuple[Path, int, str]]) -> dict[Path, list[tuple[int, str]]]:
    grouped: dict[Path, list[tuple[int, str]]] = {}
    for file, line, detail in found:
        grouped.setdefault(file, []).append((line, detail))
    return grouped


def _lines(items: list[tuple[int, str]]) -> str:
    return ("lines " if len(items) > 1 else "line ") + ", ".join(str(line) for line, _ in items)


# Sessions


@register(TAG)
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
    alias = settings.SESSION_CACHE_ALIAS
    if _session_engine_is(CACHE_SESSIONS) and (found := _per_process_cache(alias)):
        backend, reason = found
        return [
            checks.Warning(
                f'Sessions are kept in the cache "{alias}" ({backend}), which {reason}: a replica does not see '
                "a login, a cart or a logout that happened on another.",
                hint="Point SESSION_CACHE_ALIAS at a cache every replica shares (Redis). " + _docs("01-sessions"),
                obj=f"CACHES[{alias!r}]",
                id="stateless.W002",
            )
        ]
    # cached_db on the dummy cache reads the shared database every time: nothing is kept.
    if _session_engine_is(CACHED_DB_SESSIONS) and (found := _per_process_cache(alias, STORE_CACHES)):
        backend, reason = found
        return [
            checks.Warning(
                f'Sessions are written to the database and cached in "{alias}" ({backend}), which {reason}: each '
                "replica reads its own cached copy first, so after a logout, a cart change or a new login on one "
                "replica, another keeps serving the session as it cached it, until that copy expires.",
                hint="Cache sessions in a cache every replica shares (Redis), or use the database backend alone. "
                + _docs("01-sessions"),
                obj=f"CACHES[{alias!r}]",
                id="stateless.W004",
            )
        ]
    return []


@register(HARDENING_TAG)
def check_session_cache_outage(app_configs, **kwargs):
    alias = settings.SESSION_CACHE_ALIAS
    if not _session_engine_is(CACHE_SESSIONS) or not _cache_ignores_exceptions(alias):
        return []
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


def _pickles(alias: str) -> str | None:
    """The pickling serializer the cache `alias` reads values back with, if it does."""
    config = settings.CACHES.get(alias, {})
    backend = config.get("BACKEND", "")
    if _is_a(backend, DJANGO_CACHE_REDIS):
        return "pickle"
    if _is_a(backend, DJANGO_REDIS):
        serializer = config.get("OPTIONS", {}).get("SERIALIZER", DJANGO_REDIS_PICKLE)
        return serializer if _is_a(serializer, DJANGO_REDIS_PICKLE) else None
    return None


@register(HARDENING_TAG)
def check_session_cache_serializer(app_configs, **kwargs):
    alias = settings.SESSION_CACHE_ALIAS
    uses_cache = _session_engine_is(CACHE_SESSIONS) or _session_engine_is(CACHED_DB_SESSIONS)
    if not uses_cache or not (serializer := _pickles(alias)):
        return []
    return [
        checks.Warning(
            f'Sessions are read back from the cache "{alias}" with {serializer}: whoever can write one key into '
            "that Redis runs code on every replica that loads it.",
            hint='Give the alias a serializer that only decodes data: OPTIONS["SERIALIZER"] = '
            '"django_redis.serializers.json.JSONSerializer" (or the msgpack one). ' + _docs("01-sessions"),
            obj=f"CACHES[{alias!r}]",
            id="stateless.W005",
        )
    ]


def _redis_locations() -> list[tuple[str, str, bool]]:
    """(setting, URL, whether a password is given beside it) for every Redis cache and channel layer."""
    found = []
    for alias, config in settings.CACHES.items():
        if not (_is_a(config.get("BACKEND", ""), DJANGO_REDIS) or _is_a(config.get("BACKEND", ""), DJANGO_CACHE_REDIS)):
            continue
        locations = config.get("LOCATION") or []
        beside = bool(config.get("OPTIONS", {}).get("PASSWORD"))
        for url in [locations] if isinstance(locations, str) else locations:
            found.append((f"CACHES[{alias!r}]", url, beside))
    for alias, config in getattr(settings, "CHANNEL_LAYERS", {}).items():
        if not any(_is_a(config.get("BACKEND", ""), layer) for layer in REDIS_CHANNEL_LAYERS):
            continue
        for host in config.get("CONFIG", {}).get("hosts") or ["redis://localhost:6379"]:
            if isinstance(host, str):
                found.append((f"CHANNEL_LAYERS[{alias!r}]", host, False))
            elif isinstance(host, dict) and "address" in host:
                found.append((f"CHANNEL_LAYERS[{alias!r}]", host["address"], bool(host.get("password"))))
            elif isinstance(host, dict) and "sentinels" not in host:
                found.append(
                    (f"CHANNEL_LAYERS[{alias!r}]", "redis://{host}".format(**host), bool(host.get("password")))
                )
    return found


@register(HARDENING_TAG)
def check_redis_credentials(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    return [
        checks.Warning(
            f"Connects to Redis at {urlsplit(url).hostname} with no password: "
            "every replica trusts what that Redis returns, and anyone who reaches it may read and write sessions.",
            hint="Give each purpose a Redis ACL user of its own, limited to its commands and keys, and its password "
            "from the environment, in the URL (redis://user:password@host:6379/0). " + _docs("01-sessions"),
            obj=setting,
            id="stateless.W006",
        )
        for setting, url, beside in _redis_locations()
        if not beside and not urlsplit(url).password and urlsplit(url).scheme in ("redis", "rediss")
    ]


@register(HARDENING_TAG)
def check_session_eviction(app_configs, **kwargs):
    """Asks the session cache's Redis for its eviction policy; a Redis that does not answer or does not say
    (the shop's users may not run CONFIG, and many managed ones refuse it) is not reported."""
    alias = settings.SESSION_CACHE_ALIAS
    if not _session_engine_is(CACHE_SESSIONS) or not _is_a(_cache_backend(alias) or "", DJANGO_REDIS):
        return []
    try:
        from django_redis import get_redis_connection

        policy = get_redis_connection(alias).config_get("maxmemory-policy").get("maxmemory-policy")
    except Exception:  # noqa: BLE001 - unreadable is not a finding
        return []
    if policy in (None, "noeviction"):
        return []
    return [
        checks.Warning(
            f'The Redis of the session cache "{alias}" evicts keys under memory pressure (maxmemory-policy '
            f"{policy}): a full Redis logs visitors out and empties their carts, and can drop revocations.",
            hint="Run the Redis that keeps sessions and revocations with maxmemory-policy noeviction (writes fail "
            "loudly when it is full), and put what may be evicted in another instance. " + _docs("07-deploys"),
            obj=f"CACHES[{alias!r}]",
            id="stateless.W007",
        )
    ]


# Rate limits, throttles, lockouts


def _counts_per_process(who: str, alias: str, hint: str, obj: str, id: str) -> list[checks.Warning]:
    if not (found := _per_process_cache(alias)):
        return []
    backend, reason = found
    return [
        checks.Warning(
            f'{who} counts in the cache "{alias}" ({backend}), which {reason}: every replica allows the full '
            "limit, and a restart forgets every count.",
            hint=hint + " " + _docs("05-rate-limits"),
            obj=obj,
            id=id,
        )
    ]


@register(TAG)
def check_rate_limit_cache(app_configs, **kwargs):
    if not apps.is_installed("django_ratelimit"):
        return []
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    return _counts_per_process(
        "django-ratelimit",
        alias,
        "Set RATELIMIT_USE_CACHE to a cache every replica shares with an atomic increment (django-redis).",
        f"CACHES[{alias!r}]",
        "stateless.W010",
    )


@register(HARDENING_TAG)
def check_rate_limit_cache_hardening(app_configs, **kwargs):
    if not apps.is_installed("django_ratelimit"):
        return []
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = _cache_backend(alias)
    if backend is None:
        return []  # django_ratelimit.E002 says so already.
    counted = f'django-ratelimit counts in the cache "{alias}" ({backend}), which'
    if reason := _kind_of(backend, NON_ATOMIC_CACHES):
        message, id = f"{counted} {reason}: requests at the same moment are counted once.", "stateless.W011"
        hint = "Set RATELIMIT_USE_CACHE to a cache with an atomic increment (django-redis). "
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


@register(TAG)
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


@register(TAG)
def check_axes_cache(app_configs, **kwargs):
    # django-axes counts failures in the database unless AXES_HANDLER names its cache handler.
    if not apps.is_installed("axes"):
        return []
    if not _is_a(getattr(settings, "AXES_HANDLER", AXES_DEFAULT_HANDLER), AXES_CACHE_HANDLER):
        return []
    alias = getattr(settings, "AXES_CACHE", "default")
    return _counts_per_process(
        "django-axes (AXES_HANDLER = AxesCacheHandler)",
        alias,
        "Point AXES_CACHE at a cache every replica shares (Redis), or count in the database "
        f"(AXES_HANDLER = {AXES_DEFAULT_HANDLER!r}).",
        "AXES_CACHE",
        "stateless.W014",
    )


@register(TAG)
def check_allauth_rate_limits(app_configs, **kwargs):
    # allauth's rate limits are on by default and count in django.core.cache.cache; False turns them off.
    if not apps.is_installed("allauth.account") or getattr(settings, "ACCOUNT_RATE_LIMITS", None) is False:
        return []
    return _counts_per_process(
        "django-allauth's rate limits (ACCOUNT_RATE_LIMITS: login_failed, signup, reset_password...)",
        "default",
        'allauth uses the "default" cache: make it one every replica shares (Redis).',
        "CACHES['default']",
        "stateless.W015",
    )


@register(TAG)
def check_cache_as_store(app_configs, **kwargs):
    found = [
        (file, line, alias)
        for file, line, alias in code_scan.cache_store_writes(_sources(app_configs))
        if _per_process_cache(alias, STORE_CACHES)
    ]
    return [
        checks.Warning(
            f'Code writes to the cache "{items[0][1]}" ({_cache_backend(items[0][1])}) as a store ({_lines(items)}): '
            "a counter, or a write or delete in a signal handler. Each process keeps its own copy, so other "
            "replicas never see the change and keep serving what they cached.",
            hint="Keep it in a cache every replica shares (Redis) or in the database. If it is only a cache of "
            "something any process can rebuild, and stale copies are fine, silence this id. "
            + _docs("05-rate-limits", "08-warm-state"),
            obj=_where(file, items[0][0]),
            id="stateless.W016",
        )
        for file, items in _by_file(found).items()
    ]


# Files


def _ignored_default_file_storage() -> str | None:
    """DEFAULT_FILE_STORAGE when Django ignores it (5.1 removed it) and files go to a local storage instead."""
    if django.VERSION < (5, 1) or not settings.is_overridden("DEFAULT_FILE_STORAGE"):
        return None
    wanted = str(settings.DEFAULT_FILE_STORAGE)
    backend = getattr(settings, "STORAGES", {}).get("default", {}).get("BACKEND", "")
    return wanted if backend != wanted and _kind_of(backend, LOCAL_STORAGES) else None


def _media_root() -> str:
    return str(settings.MEDIA_ROOT) if settings.MEDIA_ROOT else "the current working directory"


def _default_storage_users(sources: list[Source]) -> list[str]:
    """Who writes through the default storage: file fields without a storage of their own, and code."""
    from django.core.files.storage import default_storage
    from django.db.models import FileField

    users = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, FileField) and field.storage is default_storage
    ]
    return users + [f"{_where(file, line)} ({name})" for file, line, name in code_scan.default_storage_uses(sources)]


@register(TAG)
def check_file_storage(app_configs, **kwargs):
    warnings = []
    sources = _sources(app_configs)
    if ignored := _ignored_default_file_storage():
        warnings.append(
            checks.Warning(
                f"DEFAULT_FILE_STORAGE is {ignored}, but Django {django.get_version()} ignores it (removed in 5.1) "
                'and STORAGES["default"] does not name it: files are written by FileSystemStorage under '
                f"{_media_root()}, on this server's disk.",
                hint='Move it to STORAGES["default"]["BACKEND"], with its options under "OPTIONS". '
                + _docs("02-uploaded-files"),
                obj="DEFAULT_FILE_STORAGE",
                id="stateless.W024",
            )
        )
    for alias, config in getattr(settings, "STORAGES", {}).items():
        backend = config.get("BACKEND", "")
        # Static files are built into the release, the same on every replica.
        if alias == "staticfiles" or not (where := _kind_of(backend, LOCAL_STORAGES)):
            continue
        if alias == "default":
            users = _default_storage_users(sources)
            if ignored or not users:
                continue  # A project that stores no files keeps none, wherever the default storage points.
            used = f" ({', '.join(users[:3])}{', ...' if len(users) > 3 else ''})"
        else:
            used = ""
        if where == LOCAL_STORAGES["django.core.files.storage.FileSystemStorage"]:
            location = config.get("OPTIONS", {}).get("location") or _media_root()
            where = f"under {location}, {where}"
        warnings.append(
            checks.Warning(
                f'Files stored through STORAGES["{alias}"]{used} are kept by {backend} {where}: other replicas '
                "cannot serve them, and a new container starts without them.",
                hint="Store them in object storage every replica reaches (django-storages' S3Storage) and hand out "
                "presigned URLs. " + _docs("02-uploaded-files", "03-generated-files"),
                obj=f"STORAGES[{alias!r}]",
                id="stateless.W020",
            )
        )
    default = getattr(settings, "STORAGES", {}).get("default", {}).get("BACKEND", "")
    if not ignored and not _kind_of(default, LOCAL_STORAGES):
        # The default storage is elsewhere: code that still builds paths under MEDIA_ROOT writes to this disk.
        for file, items in _by_file(code_scan.media_root_paths(sources)).items():
            warnings.append(
                checks.Warning(
                    f"Code builds paths from settings.MEDIA_ROOT ({_lines(items)}), a directory on this server's "
                    f"disk, though the default storage is {default}.",
                    hint="Read and write through the storage API (default_storage.save/open) instead of by path. "
                    + _docs("02-uploaded-files"),
                    obj=_where(file, items[0][0]),
                    id="stateless.W021",
                )
            )
    for file, items in _by_file(code_scan.storage_constructions(sources)).items():
        warnings.append(
            checks.Warning(
                f"Code creates a {items[0][1]} of its own ({_lines(items)}): what it stores stays on this server's "
                "disk (or in this process's memory) whatever STORAGES says.",
                hint="Name the storage in STORAGES and use storages[alias], or pass a callable returning it "
                "as the field's storage=. " + _docs("02-uploaded-files", "03-generated-files"),
                obj=_where(file, items[0][0]),
                id="stateless.W023",
            )
        )
    return warnings


@register(TAG)
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
        if isinstance(handler, dict) and handler.get("filename")
    ]


# Live updates


@register(TAG)
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


# API tokens


def _uses_simplejwt() -> bool:
    authentication = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_AUTHENTICATION_CLASSES", [])
    return (
        hasattr(settings, "SIMPLE_JWT")
        or apps.is_installed("rest_framework_simplejwt")
        or any(path.startswith("rest_framework_simplejwt.") for path in authentication)
    )


@register(HARDENING_TAG)
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


# Module-level state


@register(TAG)
def check_module_state(app_configs, **kwargs):
    warnings = []
    for finding in module_state_find(sources=_sources(app_configs)):
        warnings.append(
            checks.Warning(
                f"Module-level `{finding.name}` is written inside functions "
                f"({_lines([(line, '') for line in finding.write_lines])}): if that happens while serving "
                "requests, each process keeps its own copy, which other replicas never see and a restart loses.",
                hint="Keep it in the database or a shared cache (Redis). If it is a cache that can be rebuilt, "
                "say so with functools.lru_cache, or end the line with `# stateless: warm`. "
                + _docs("06-api-tokens", "08-warm-state"),
                obj=_where(finding.file, finding.line),
                id="stateless.W050",
            )
        )
    return warnings


# Configuration


@register(TAG)
def check_random_keys(app_configs, **kwargs):
    if not settings.SETTINGS_MODULE:
        return []
    found = code_scan.random_settings(settings.SETTINGS_MODULE, ("SECRET_KEY", "SIMPLE_JWT['SIGNING_KEY']"))
    return [
        checks.Warning(
            f"{name} is drawn at random when a process starts ({_where(file, line)}): every replica, and every "
            "restart, signs with a different key, so sessions, CSRF tokens, password-reset links and signed "
            "tokens made by one replica are rejected by another.",
            hint="Read the key from the environment, the same on every replica, and fail to start without it. "
            + _docs("01-sessions", "07-deploys"),
            obj=name,
            id="stateless.W060",
        )
        for name, (file, line) in found.items()
    ]


def _sqlite_file(config: dict) -> str | None:
    if not str(config.get("ENGINE", "")).startswith(SQLITE_ENGINES):
        return None
    name = str(config.get("NAME") or "")
    in_memory = not name or name == ":memory:" or "mode=memory" in name
    return None if in_memory else name


@register(TAG)
def check_databases(app_configs, **kwargs):
    return [
        checks.Warning(
            f'The database "{alias}" is the SQLite file {path}: on a replica\'s own disk each replica writes its '
            "own users and orders, and a new container starts with an empty or stale copy.",
            hint="Use a database server every replica reaches (PostgreSQL, MySQL), e.g. through DATABASE_URL. "
            "If every replica runs on one host and opens this same file, silence stateless.W061. " + _docs("state"),
            obj=f"DATABASES[{alias!r}]",
            id="stateless.W061",
        )
        for alias, config in settings.DATABASES.items()
        if (path := _sqlite_file(config))
    ]
