from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def signing_keys() -> dict[str, str]:
    """Every key the settings sign with: sessions, CSRF and password resets, and API tokens where there are any."""
    keys = {"SECRET_KEY": settings.SECRET_KEY}
    jwt_key = getattr(settings, "SIMPLE_JWT", {}).get("SIGNING_KEY")
    if jwt_key:
        keys['SIMPLE_JWT["SIGNING_KEY"]'] = jwt_key
    return keys


def refuse_published_keys() -> None:
    """A replica does not start on a default key, which anyone can read in this repository, unless DEBUG is on."""
    published = [name for name, key in signing_keys().items() if key.startswith("django-insecure-")]
    if published and not settings.DEBUG:
        raise ImproperlyConfigured(
            f"{' and '.join(published)} still the published default: set SECRET_KEY (and JWT_SIGNING_KEY) in the"
            " environment, the same on every replica, or DEBUG=true on a development machine."
        )
