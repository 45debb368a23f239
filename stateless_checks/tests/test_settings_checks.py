"""One test per pattern: change one setting of a stateless project, expect one warning (or none)."""

import pytest
from django.conf import global_settings
from django.core.checks import run_checks

from stateless_checks.checks import DOCS_URL

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "django_redis.cache.RedisCache"
FILE_BASED = "django.core.cache.backends.filebased.FileBasedCache"
PER_PROCESS = [LOCMEM, FILE_BASED, "django.core.cache.backends.dummy.DummyCache"]


def test_a_stateless_project_gets_no_warnings(stateless_ids):
    """The settings this suite starts from keep nothing on the replica, so nothing is reported."""
    assert stateless_ids() == []


def test_every_warning_links_the_published_docs_part_that_fixes_it(settings):
    """A reader of the output knows where to go next: each hint links a part of the published docs."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework_simplejwt"]
    messages = run_checks(tags=["stateless"]) + run_checks(tags=["stateless_hardening"])
    assert len(messages) == 5
    assert all(f"{DOCS_URL}0" in message.hint and ".md" in message.hint for message in messages)
    assert DOCS_URL.startswith("https://")


def test_a_check_that_fails_on_something_unforeseen_reports_i001_instead_of_raising(settings, stateless_ids):
    """Checks run before every command, migrate included: a bug in one must not stop the project."""
    settings.CACHES = {**settings.CACHES, "shared": "not a dict"}
    assert stateless_ids() == ["stateless.I001"]


# Sessions


def test_sessions_in_files_are_flagged_with_their_directory(settings, stateless_ids, tmp_path):
    """File sessions live on one replica's disk; the warning says which directory."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.file"
    settings.SESSION_FILE_PATH = str(tmp_path)
    assert stateless_ids() == ["stateless.W001"]
    assert str(tmp_path) in run_checks(tags=["stateless"])[0].msg


@pytest.mark.parametrize("backend", PER_PROCESS)
def test_sessions_in_a_cache_each_process_keeps_are_flagged(settings, stateless_ids, backend):
    """Local memory, a cache directory or the dummy cache: another replica does not see the session."""
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": backend, "LOCATION": "/tmp/never-written"}}
    assert stateless_ids() == ["stateless.W002"]


def test_cached_db_sessions_on_a_local_memory_cache_are_flagged_for_stale_copies(settings, stateless_ids):
    """cached_db writes to the database but reads its own cache first: a replica keeps serving its copy."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": LOCMEM}}
    assert stateless_ids() == ["stateless.W004"]
    message = run_checks(tags=["stateless"])[0].msg
    assert "written to the database" in message and "cached copy" in message


def test_cached_db_sessions_on_the_dummy_cache_are_not_flagged(settings, stateless_ids):
    """With nothing cached, cached_db reads the shared database every time: no state on the replica."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert stateless_ids() == []


@pytest.mark.parametrize("engine", ["db", "signed_cookies", "cache"])
def test_sessions_in_the_database_signed_cookies_or_redis_are_not_flagged(settings, stateless_ids, engine):
    """Signed cookies keep the session in the browser: the most stateless of all, never a warning."""
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    assert stateless_ids() == []


def test_a_session_cache_that_ignores_redis_errors_is_hardening_advice(settings, stateless_ids):
    """IGNORE_EXCEPTIONS on the session cache turns a Redis outage into silent logouts: shared state that
    fails quietly, reported under stateless_hardening, not as state a replica keeps."""
    shared = settings.CACHES["shared"]
    options = {**shared["OPTIONS"], "IGNORE_EXCEPTIONS": True}
    settings.CACHES = {**settings.CACHES, "shared": {**shared, "OPTIONS": options}}
    assert (stateless_ids(), stateless_ids("stateless_hardening")) == ([], ["stateless.W003"])


def test_the_global_ignore_exceptions_setting_counts_for_the_session_cache(settings, stateless_ids):
    """DJANGO_REDIS_IGNORE_EXCEPTIONS applies to every django-redis alias that does not say otherwise."""
    settings.DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    assert stateless_ids("stateless_hardening") == ["stateless.W003"]


def test_ignore_exceptions_on_a_cache_sessions_do_not_use_is_not_flagged(settings, stateless_ids):
    """Losing a page cache during an outage is fine; only the session cache matters here."""
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": REDIS, "OPTIONS": {"IGNORE_EXCEPTIONS": True}}}
    assert stateless_ids("stateless_hardening") == []


def test_a_session_cache_that_pickles_is_flagged(settings, stateless_ids):
    """django-redis pickles unless told otherwise: one key written into Redis runs code on every replica."""
    shared = settings.CACHES["shared"]
    settings.CACHES = {**settings.CACHES, "shared": {**shared, "OPTIONS": {}}}
    assert (stateless_ids(), stateless_ids("stateless_hardening")) == ([], ["stateless.W005"])


def test_django_s_own_redis_backend_always_pickles(settings, stateless_ids):
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://u:p@127.0.0.1:6379"}
    settings.CACHES = {**settings.CACHES, "shared": redis}
    assert stateless_ids("stateless_hardening") == ["stateless.W005"]


def test_a_cache_sessions_do_not_use_may_pickle(settings, stateless_ids):
    """Only what sessions are read back with is reported; the serializer matters where the session is."""
    pages = {"BACKEND": REDIS, "LOCATION": "redis://pages:secret@127.0.0.1:6379/1"}
    settings.CACHES = {**settings.CACHES, "pages": pages}
    assert stateless_ids("stateless_hardening") == []


@pytest.mark.parametrize(
    "where",
    [
        {"CACHES": {"LOCATION": "redis://127.0.0.1:6379/0"}},
        {"CACHES": {"LOCATION": ["redis://u:p@redis-a:6379/0", "redis://redis-b:6379/0"]}},
        {"CHANNEL_LAYERS": {"hosts": ["redis://127.0.0.1:6379/0"]}},
        {"CHANNEL_LAYERS": {"hosts": [{"address": "rediss://redis.example.com:6380/0"}]}},
        {"CHANNEL_LAYERS": {}},
    ],
)
def test_a_redis_without_a_password_is_flagged_outside_debug(settings, stateless_ids, where):
    """Every replica trusts what Redis returns: a Redis anyone who reaches it may write to is reported."""
    if "CACHES" in where:
        settings.CACHES = {**settings.CACHES, "shared": {**settings.CACHES["shared"], **where["CACHES"]}}
    else:
        layer = {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": where["CHANNEL_LAYERS"]}
        settings.CHANNEL_LAYERS = {"default": layer}
    assert stateless_ids("stateless_hardening") == ["stateless.W006"]
    settings.DEBUG = True
    assert stateless_ids("stateless_hardening") == []


def test_a_password_beside_the_url_counts(settings, stateless_ids):
    shared = settings.CACHES["shared"]
    options = {**shared["OPTIONS"], "PASSWORD": "secret"}
    settings.CACHES = {
        **settings.CACHES,
        "shared": {**shared, "LOCATION": "redis://127.0.0.1:6379/0", "OPTIONS": options},
    }
    assert stateless_ids("stateless_hardening") == []


class _Redis:
    def __init__(self, policy=None, error=None):
        self.policy, self.error = policy, error

    def config_get(self, name):
        if self.error:
            raise self.error
        return {name: self.policy}


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-lru", "allkeys-random", "volatile-ttl"])
def test_a_session_redis_that_evicts_is_flagged_when_its_policy_can_be_read(monkeypatch, stateless_ids, policy):
    """Sessions carry a TTL, so volatile-* policies drop them too; only noeviction keeps them."""
    monkeypatch.setattr("django_redis.get_redis_connection", lambda alias: _Redis(policy))
    assert stateless_ids("stateless_hardening") == ["stateless.W007"]


@pytest.mark.parametrize("redis", [_Redis("noeviction"), _Redis(error=PermissionError("NOPERM"))])
def test_a_session_redis_that_does_not_evict_or_does_not_say_is_not_flagged(monkeypatch, stateless_ids, redis):
    """The shop's own users may not run CONFIG, nor may many managed Redis: unreadable is not a finding."""
    monkeypatch.setattr("django_redis.get_redis_connection", lambda alias: redis)
    assert stateless_ids("stateless_hardening") == []


# Rate limits and throttles


@pytest.mark.parametrize("backend", PER_PROCESS)
def test_a_rate_limit_cache_each_process_keeps_is_flagged(settings, stateless_ids, backend):
    """django-ratelimit on a per-process cache: every replica allows the full limit."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_ratelimit"]
    settings.CACHES = {**settings.CACHES, "ratelimit": {"BACKEND": backend}}
    settings.RATELIMIT_USE_CACHE = "ratelimit"
    assert stateless_ids() == ["stateless.W010"]


def test_a_rate_limit_cache_without_atomic_increment_is_flagged(settings, stateless_ids):
    """The database cache is shared, but incr() reads then writes: two requests at once count once."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_ratelimit"]
    settings.CACHES = {**settings.CACHES, "ratelimit": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}}
    settings.RATELIMIT_USE_CACHE = "ratelimit"
    assert (stateless_ids(), stateless_ids("stateless_hardening")) == ([], ["stateless.W011"])


def test_a_rate_limit_cache_that_ignores_redis_errors_is_flagged(settings, stateless_ids):
    """With IGNORE_EXCEPTIONS a Redis outage silently opens the limit."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_ratelimit"]
    settings.CACHES = {**settings.CACHES, "ratelimit": {"BACKEND": REDIS, "OPTIONS": {"IGNORE_EXCEPTIONS": True}}}
    settings.RATELIMIT_USE_CACHE = "ratelimit"
    assert (stateless_ids(), stateless_ids("stateless_hardening")) == ([], ["stateless.W012"])


def test_a_rate_limit_cache_in_redis_is_not_flagged(settings, stateless_ids):
    """A shared cache with an atomic increment counts exactly across replicas."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_ratelimit"]
    settings.RATELIMIT_USE_CACHE = "shared"
    assert stateless_ids() + stateless_ids("stateless_hardening") == []


def test_rate_limits_default_to_the_default_cache(settings, stateless_ids):
    """Without RATELIMIT_USE_CACHE, django-ratelimit counts in "default", here local memory."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_ratelimit"]
    assert stateless_ids() == ["stateless.W010"]


def test_a_local_memory_cache_no_counter_uses_is_not_flagged(stateless_ids):
    """The default cache here is local memory, which is fine as a warm cache nobody counts in."""
    assert stateless_ids() == []


def test_drf_throttles_on_a_local_memory_default_cache_are_flagged(settings, stateless_ids):
    """DRF's throttles keep their history in the default cache, here each process's own memory."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework"]
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]}
    assert stateless_ids() == ["stateless.W013"]


def test_drf_throttle_rates_alone_mean_the_default_cache_is_checked(settings, stateless_ids):
    """Rates without default classes mean views pick their throttles, which still use the default cache."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework"]
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"anon": "10/minute"}}
    assert stateless_ids() == ["stateless.W013"]


def test_drf_throttles_on_a_shared_default_cache_are_not_flagged(settings, stateless_ids):
    """With the default cache in Redis, every replica reads the same history."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework"]
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": REDIS}}
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]}
    assert stateless_ids() == []


# Files


def test_the_default_storage_on_the_local_disk_is_flagged_with_its_location(settings, stateless_ids, tmp_path):
    """FileSystemStorage writes uploads where only this replica can read them."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = str(tmp_path)
    assert stateless_ids() == ["stateless.W020"]
    assert str(tmp_path) in run_checks(tags=["stateless"])[0].msg


def test_a_subclass_of_file_system_storage_is_flagged_too(settings, stateless_ids):
    """A project's own storage class on top of FileSystemStorage still writes to the local disk."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.storages.PrivateFileSystemStorage"}}
    assert stateless_ids() == ["stateless.W020"]


def test_the_in_memory_storage_is_flagged(settings, stateless_ids):
    """InMemoryStorage is fine for tests, but in production each process holds its own files."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    assert stateless_ids() == ["stateless.W020"]


def test_media_root_left_beside_object_storage_is_not_flagged(settings, stateless_ids, tmp_path):
    """A setting is not state: only code that builds paths from it writes to the disk (W021)."""
    settings.MEDIA_ROOT = str(tmp_path)
    assert stateless_ids() == []


def test_the_default_storage_on_the_local_disk_is_not_flagged_when_nothing_stores_files(settings, stateless_ids):
    """FileSystemStorage as Django's default, with no file field and no code using it, keeps nothing."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "tests.uploads"]
    assert stateless_ids() == []


def test_another_storage_alias_on_the_local_disk_is_flagged(settings, stateless_ids):
    """An alias of its own is configured to be used: storages["private"] on local disk is state."""
    settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    assert stateless_ids() == ["stateless.W020"]
    assert run_checks(tags=["stateless"])[0].obj == "STORAGES['private']"


def test_default_file_storage_ignored_by_django_is_flagged_naming_the_working_directory(settings, stateless_ids):
    """Since Django 5.1 DEFAULT_FILE_STORAGE does nothing: without STORAGES, files go to the local disk."""
    settings.STORAGES = global_settings.STORAGES
    settings.DEFAULT_FILE_STORAGE = "storages.backends.s3.S3Storage"
    settings.MEDIA_ROOT = ""
    assert stateless_ids() == ["stateless.W024"]
    assert "the current working directory" in run_checks(tags=["stateless"])[0].msg


# Configuration


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_a_sqlite_file_as_a_database_is_flagged_and_an_in_memory_one_is_not(settings, stateless_ids, tmp_path):
    """A SQLite file is on one replica's disk; the test suite's in-memory database is nobody's state."""
    assert stateless_ids() == []
    settings.DATABASES = {
        **settings.DATABASES,
        "orders": {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "orders.sqlite3"},
    }
    assert stateless_ids() == ["stateless.W061"]


def test_a_log_file_is_flagged_and_a_log_stream_is_not(settings, stateless_ids, tmp_path):
    """A log file is split over the replicas and lost with each container; stderr is collected."""
    settings.LOGGING = {
        "version": 1,
        "handlers": {
            "console": {"class": "logging.StreamHandler"},
            "file": {"class": "logging.FileHandler", "filename": str(tmp_path / "shop.log")},
        },
    }
    assert stateless_ids() == ["stateless.W022"]


# Live updates


def test_the_in_memory_channel_layer_is_flagged(settings, stateless_ids):
    """InMemoryChannelLayer only reaches the clients connected to the same process."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert stateless_ids() == ["stateless.W030"]


@pytest.mark.parametrize(
    "backend", ["channels_redis.core.RedisChannelLayer", "channels_redis.pubsub.RedisPubSubChannelLayer"]
)
def test_a_redis_channel_layer_is_not_flagged(settings, stateless_ids, backend):
    """Both channels_redis layers deliver to every replica."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend}}
    assert stateless_ids() == []


# API tokens

GOOD_JWT = {"SIGNING_KEY": "a-key-of-its-own", "AUDIENCE": "shop-api", "ISSUER": "shop"}


@pytest.fixture
def simplejwt(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework", "rest_framework_simplejwt.token_blacklist"]
    settings.SIMPLE_JWT = dict(GOOD_JWT)
    return settings


def test_simplejwt_with_its_own_key_audience_issuer_and_blacklist_is_not_flagged(simplejwt, stateless_ids):
    """The configuration docs/06-api-tokens.md ends with raises nothing."""
    assert stateless_ids("stateless_hardening") == []


def test_simplejwt_advice_is_not_reported_under_the_stateless_tag(simplejwt, stateless_ids):
    """No blacklist, SECRET_KEY as signing key, no audience: advice, not state a replica keeps to itself."""
    simplejwt.INSTALLED_APPS = [app for app in simplejwt.INSTALLED_APPS if not app.endswith("token_blacklist")]
    simplejwt.SIMPLE_JWT = {}
    assert stateless_ids() == []
    assert stateless_ids("stateless_hardening") == ["stateless.W040", "stateless.W041", "stateless.W042"]


def test_simplejwt_without_the_blacklist_app_is_flagged(simplejwt, stateless_ids):
    """Without token_blacklist a logout cannot revoke a refresh token."""
    simplejwt.INSTALLED_APPS = [app for app in simplejwt.INSTALLED_APPS if not app.endswith("token_blacklist")]
    assert stateless_ids("stateless_hardening") == ["stateless.W040"]


@pytest.mark.parametrize("signing_key", [None, "stateless-checks-tests"])
def test_simplejwt_signing_with_secret_key_is_flagged_whether_unset_or_equal(simplejwt, stateless_ids, signing_key):
    """SIGNING_KEY defaults to SECRET_KEY, so leaving it out is the same as copying it."""
    simplejwt.SIMPLE_JWT = {**GOOD_JWT, "SIGNING_KEY": signing_key}
    if signing_key is None:
        del simplejwt.SIMPLE_JWT["SIGNING_KEY"]
    assert stateless_ids("stateless_hardening") == ["stateless.W041"]


@pytest.mark.parametrize("missing", ["AUDIENCE", "ISSUER"])
def test_simplejwt_without_audience_or_issuer_is_flagged(simplejwt, stateless_ids, missing):
    """SimpleJWT only checks aud and iss when they are set."""
    simplejwt.SIMPLE_JWT = {key: value for key, value in GOOD_JWT.items() if key != missing}
    assert stateless_ids("stateless_hardening") == ["stateless.W042"]
    assert missing in run_checks(tags=["stateless_hardening"])[0].msg


def test_simplejwt_used_only_as_an_authentication_class_is_checked(settings, stateless_ids):
    """A project that never writes SIMPLE_JWT still signs with SECRET_KEY, and is told so."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework"]
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"]
    }
    assert stateless_ids("stateless_hardening") == ["stateless.W040", "stateless.W041", "stateless.W042"]


def test_no_simplejwt_warnings_when_the_project_does_not_use_it(settings, stateless_ids):
    """DRF with session authentication has no tokens to revoke."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "rest_framework"]
    assert stateless_ids("stateless_hardening") == []


def test_a_signing_key_drawn_at_random_in_the_settings_is_flagged_and_a_fixed_one_is_not(tmp_path, monkeypatch):
    """SIMPLE_JWT["SIGNING_KEY"] from secrets.token_hex() differs per process: tokens fail across replicas."""
    from stateless_checks import code_scan

    (tmp_path / "jwt_settings.py").write_text(
        'import secrets\n\nSIMPLE_JWT = {"SIGNING_KEY": secrets.token_hex(32)}\nSECRET_KEY = "fixed"\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("jwt_settings")
    found = code_scan.random_settings("jwt_settings", ("SECRET_KEY", "SIMPLE_JWT['SIGNING_KEY']"))
    assert {name: line for name, (_, line) in found.items()} == {"SIMPLE_JWT['SIGNING_KEY']": 3}
