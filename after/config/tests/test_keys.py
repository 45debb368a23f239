import pytest
from django.core.exceptions import ImproperlyConfigured

from config.keys import refuse_published_keys


def test_a_replica_refuses_to_start_on_the_published_default_key(settings):
    settings.SECRET_KEY = "django-insecure-local-development-only"

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        refuse_published_keys()


def test_the_default_key_is_allowed_with_debug_on(settings):
    settings.SECRET_KEY = "django-insecure-local-development-only"
    settings.DEBUG = True

    refuse_published_keys()


def test_a_key_from_the_environment_starts(settings):
    settings.SECRET_KEY = "a-key-only-this-deployment-knows-0123456789"
    if hasattr(settings, "SIMPLE_JWT"):
        settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "another-key-only-this-deployment-knows"}

    refuse_published_keys()
