"""The figures the drills collect, one row per case, and the tables `make drills` prints and writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Row:
    area: str
    case: str
    tried: int = 0
    as_expected: int = 0
    errors: int = 0  # 500s, or any 5xx where no outage explains it
    note: str = ""
    hard: bool = False  # a failed hard target makes `make drills` exit non-zero
    failed: bool = False  # the drill's target was missed
    # A contrast row (before/): how it is expected to break. Breaking is its pass, holding its FAIL.
    expected_break: str = ""

    def count(self, ok: bool, status: int | None = None) -> None:
        self.tried += 1
        self.as_expected += bool(ok)
        if status is not None and status >= 500:
            self.errors += 1

    @property
    def verdict(self) -> str:
        missed = self.failed or self.as_expected != self.tried
        if self.expected_break:
            return "FAIL" if self.errors or not self.failed else "broke, as expected"
        if self.errors or (self.hard and missed):
            return "FAIL"
        if not self.tried and not self.failed:
            return "n/a"
        return "miss" if missed else "ok"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    # Set while the contrast drills run: every row they add carries it.
    expected_break: str = ""

    def row(self, area: str, case: str, **kwargs) -> Row:
        row = Row(area, case, expected_break=self.expected_break, **kwargs)
        self.rows.append(row)
        return row

    @property
    def hard_failures(self) -> list[Row]:
        return [row for row in self.rows if row.verdict == "FAIL"]

    def markdown(self, *, contrast: bool = False) -> str:
        """The after/ table, or with `contrast` the before/ one, which names each row's expected break."""
        heads = ["area", "case", *(["expected break"] if contrast else []), "tried", "as expected", "5xx", "verdict"]
        lines = [
            "| " + " | ".join([*heads, "figures"]) + " |",
            "|------|------|"
            + ("----------------|" if contrast else "")
            + "------:|------------:|----:|---------|---------|",
        ]
        for r in self.rows:
            if bool(r.expected_break) != contrast:
                continue
            cells = [r.area, r.case, *([r.expected_break] if contrast else []), r.tried, r.as_expected, r.errors]
            lines.append("| " + " | ".join(str(cell) for cell in [*cells, r.verdict, r.note]) + " |")
        return "\n".join(lines)


def statuses(codes: list[int]) -> str:
    """`200×12, 503×3`: a compact count of status codes."""
    return ", ".join(f"{code}×{n}" for code, n in sorted(Counter(codes).items()))
