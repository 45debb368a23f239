import tempfile
from pathlib import Path

import pytest
from django.core.checks import run_checks

from tests import scorecard


@pytest.fixture
def stateless_ids():
    """The ids `manage.py check --tag stateless` (or another tag) reports for the current settings, sorted."""

    def ids(tag="stateless"):
        return sorted(message.id for message in run_checks(tags=[tag]))

    return ids


@pytest.fixture(scope="session")
def fixture_results():
    """What `python -m stateless_checks --json` reports on every fixture project, run once, in parallel."""
    with tempfile.TemporaryDirectory() as workdir:
        yield scorecard.run_all(workdir=Path(workdir))
