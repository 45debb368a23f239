"""What every fixture project starts from: nothing that a replica keeps to itself."""

SECRET_KEY = "fixture-key-the-same-on-every-replica"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop", "HOST": "db"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
