"""Generated blocks in the docs: prose is written by hand, figures and tables between markers by a command.

    <!-- generated: drills (make drills-doc) -->
    ...replaced on every run...
    <!-- /generated -->

One mechanism for every page: the drills, the scorecard, the benchmarks and the steps table.
"""

from __future__ import annotations

import re
from pathlib import Path

BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+)[^>]*-->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)


def blocks(text: str) -> dict[str, str]:
    """{name: body} of every generated block in a page."""
    return {match["name"]: match["body"] for match in BLOCK.finditer(text)}


def replace_block(text: str, name: str, body: str) -> str:
    """The page with block `name`'s body replaced; the page must have exactly one such block."""
    found = [match for match in BLOCK.finditer(text) if match["name"] == name]
    if len(found) != 1:
        raise ValueError(f"expected one generated block {name!r}, found {len(found)}")
    match = found[0]
    body = body.rstrip("\n") + "\n"
    return text[: match.start("body")] + body + text[match.end("body") :]


def write_block(path: Path, name: str, body: str) -> None:
    path.write_text(replace_block(path.read_text(), name, body))
