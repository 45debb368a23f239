from django.apps import AppConfig


class StatelessChecksConfig(AppConfig):
    name = "stateless_checks"
    verbose_name = "Stateless checks"

    def ready(self):
        from stateless_checks import checks  # noqa: F401  (registers the checks)
