"""Each fixture project under tests/projects/ reports exactly the ids it is known for, and the README's
precision/recall table is what these runs give."""

import re
from pathlib import Path

import pytest

from tests import scorecard

README = Path(__file__).resolve().parents[1] / "README.md"
# The first test pays for the 30 runs of the session fixture; on a busy machine that is over a minute.
pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("name", scorecard.FIXTURES)
def test_each_fixture_project_reports_exactly_the_ids_it_is_known_for(fixture_results, name):
    """A class of state is reported once per place it is kept, and a stateless pattern not at all."""
    assert fixture_results[name] == sorted(scorecard.FIXTURES[name].reported)


def test_every_fixture_project_is_scored_and_none_is_left_unlisted():
    """A folder added under tests/projects/ without an entry in FIXTURES would never be checked."""
    folders = {path.name for path in scorecard.PROJECTS.iterdir() if path.is_dir() and not path.name.startswith("_")}
    assert folders - {"__pycache__"} == set(scorecard.FIXTURES)


def test_the_readme_table_is_the_one_these_fixtures_give(fixture_results):
    """The README's precision and recall come from this run, not from a hand-written table."""
    block = re.search(r"<!-- scorecard -->\n(.*?)\n<!-- /scorecard -->", README.read_text(), re.S)
    assert block, "README.md has no <!-- scorecard --> block"
    assert block.group(1).strip() == scorecard.table(fixture_results)
