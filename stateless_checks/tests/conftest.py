import pytest
from django.core.checks import run_checks


@pytest.fixture
def stateless_ids():
    """The ids `manage.py check --tag stateless` reports for the current settings, in order."""

    def ids():
        return sorted(message.id for message in run_checks(tags=["stateless"]))

    return ids
