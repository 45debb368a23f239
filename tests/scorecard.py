"""Print the before/after scorecard from the suite's results: behaviors down, topologies across.

python -m tests.scorecard RESULTS.json [--markdown .results/scorecard.md] [--doc]
(`--doc`, as `make scorecard-doc` does, puts the table in docs/scorecard.md.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness import ROOT, TOPOLOGIES
from harness.pages import write_block

FILES = [  # the order the workshop teaches
    "test_sessions.py",
    "test_cart.py",
    "test_uploaded_files.py",
    "test_generated_files.py",
    "test_live_updates.py",
    "test_rate_limits.py",
    "test_api_tokens.py",
    "test_deploys.py",
]


def rows(results: dict) -> list[tuple[str, str, dict]]:
    def order(item):  # by kind of state; within a file, in the order the tests are written
        filename = item[0].partition("::")[0]
        return FILES.index(filename) if filename in FILES else len(FILES)

    return [(key, next(iter(r.values()))["doc"], r) for key, r in sorted(results.items(), key=order)]


def cell(result: dict | None) -> str:
    if result is None:
        return "·"
    if result["outcome"] == "pass":
        text = "pass"
    elif result["outcome"] == "skip":
        text = "skip"
    else:
        text = f"FAIL ({result['kind']})" if result["kind"] else "FAIL"
    return text if result["as_expected"] else f"{text} UNEXPECTED"


def render(results: dict) -> tuple[str, str]:
    topologies = [t for t in TOPOLOGIES if any(t in r for r in results.values())]
    table = [["behavior", *topologies]]
    for _key, doc, by_topology in rows(results):
        table.append([" ".join(doc.split()) if doc else _key, *(cell(by_topology.get(t)) for t in topologies)])
    passes = [sum(r.get(t, {}).get("outcome") == "pass" for r in results.values()) for t in topologies]
    passed = ["passed", *map(str, passes)]
    table.append(passed)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    text = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table)
    md = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    md += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return text, "\n".join(md) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    parser.add_argument("--doc", action="store_true", help="also put the table in docs/scorecard.md")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text())
    text, md = render(results)
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(f"# Scorecard\n\n{md}")
    if args.doc:
        write_block(ROOT / "docs" / "scorecard.md", "scorecard", md)


if __name__ == "__main__":
    main()
