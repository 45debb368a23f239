"""bench/report.py renders exactly the blocks docs/benchmarks.md has, from a smoke run's results.

    .venv/bin/python -m pytest -q bench/test_report.py

bench/test_report.json is what `python -m bench.run --smoke --json bench/test_report.json` saved; run
that again when the results change shape. A block renamed on one side only fails here, not after a
five-minute `make bench`.
"""

import json
from pathlib import Path

from bench import report
from harness import ROOT
from harness.pages import BLOCK, replace_block

PAGE = ROOT / "docs" / "benchmarks.md"
RESULTS = json.loads((Path(__file__).parent / "test_report.json").read_text())


def emptied(page: str) -> str:
    """The page with every block's body taken out: the markers and the prose."""
    return BLOCK.sub(lambda block: block[1] + block[4], page)


def test_every_block_the_report_renders_is_on_the_page_once_and_the_page_has_no_other():
    on_page = [match["name"] for match in BLOCK.finditer(PAGE.read_text())]
    rendered = [name for name in report.blocks(RESULTS) if name not in report.PAGES]
    assert sorted(on_page) == sorted(rendered)
    assert len(set(on_page)) == len(on_page)


def test_a_block_on_a_page_of_its_own_is_there_once():
    for name, page in report.PAGES.items():
        assert [match["name"] for match in BLOCK.finditer((PAGE.parent / page).read_text())].count(name) == 1
        assert name in report.blocks(RESULTS)


def test_every_block_on_the_page_names_make_bench():
    for match in BLOCK.finditer(PAGE.read_text()):
        assert match.group(1) == f"<!-- generated: {match['name']} (make bench) -->\n"


def test_a_run_changes_only_what_is_between_the_markers():
    page = PAGE.read_text()
    filled = page
    for name, body in report.blocks(RESULTS).items():
        if name not in report.PAGES:
            filled = replace_block(filled, name, body)
    assert emptied(filled) == emptied(page)
    assert "reached all 20 clients" in filled


def test_the_standalone_file_has_every_block_under_a_heading():
    text = report.standalone(RESULTS)
    assert text.startswith("# Benchmarks: `make bench-smoke`")
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == list(report.TITLES.values())
