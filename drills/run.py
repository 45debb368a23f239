"""Run every drill against after x2 (the failover drills on after x2 with Redis behind Sentinel), then the contrast
drills against before x2 with sticky sessions; print the tables, write them to .results/drills.md, exit 1 on a failed
hard target or a contrast that did not break.

python -m drills.run [--only tokens,live_after_kill,before:kill_replica,...] [--doc]
(`--only before` runs every contrast drill; `--doc`, as `make drills-doc` does, also puts the tables in
docs/drills.md, whose prose says how to read them.)
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from drills import catalogs, faults, live, store
from drills.report import Report
from harness import ROOT, Topology
from harness.pages import write_block

DRILLS = {
    drill.__name__: drill for drill in [*catalogs.CATALOGS, *faults.FAULTS, *live.LIVE, *store.STORE, *store.FAILOVER]
}
# The same drills on before x2 with sticky sessions, what teams try first, and how before/ must break them.
CONTRAST = {
    faults.kill_replica: "users pinned to B lose their session",
    faults.rolling_restart: "users are logged out: the fresh disks hold no sessions",
    live.live_after_kill: "pages miss the changes made on the other replica and end on a stale figure",
    catalogs.failed_logins_burst: "more than 5 get past: each replica allows 5 per window in its own memory",
}


def run(topology: Topology, drills, report: Report, expected_breaks: dict | None = None) -> None:
    topology.start()
    try:
        for drill in drills:
            print(f"drill: {topology.tree}: {drill.__name__}", flush=True)
            report.expected_break = (expected_breaks or {}).get(drill, "")
            started = time.monotonic()
            try:
                drill(topology, report)
            except Exception:  # noqa: BLE001 - a drill that breaks is a failed row, and the others still run
                traceback.print_exc()
                row = report.row(drill.__name__, "the drill itself raised (see the output)", hard=True)
                row.failed, row.expected_break = True, ""
            print(f"  {time.monotonic() - started:.0f}s", flush=True)
    finally:
        report.expected_break = ""
        topology.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [*DRILLS, *(f"before:{drill.__name__}" for drill in CONTRAST)]
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(names)}, before")
    parser.add_argument("--output", type=Path, default=ROOT / ".results" / "drills.md")
    parser.add_argument("--doc", action="store_true", help="also write the tables into docs/drills.md")
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    chosen = [drill for name, drill in DRILLS.items() if not only or name in only]
    contrast = [d for d in CONTRAST if not only or "before" in only or f"before:{d.__name__}" in only]

    report = Report()
    started = time.monotonic()
    plain = [drill for drill in chosen if drill not in store.FAILOVER]
    if plain:
        run(Topology("after", 2), plain, report)
    if failover := [drill for drill in chosen if drill in store.FAILOVER]:
        run(Topology("after", 2, sentinel=True), failover, report)
    if contrast:
        run(Topology("before", 2, sticky=True), contrast, report, CONTRAST)
    took = time.monotonic() - started
    after, before = report.markdown(), report.markdown(contrast=True)
    print(after + ("\n\n" + before if contrast else ""))
    print(f"{len(report.rows)} rows in {took:.0f}s; failed: {len(report.hard_failures)}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(f"# Drills\n\n{after}\n\n## before x2, sticky sessions\n\n{before}\n\nTook {took:.0f}s.\n")
    if args.doc:
        if not (chosen and contrast and not only):
            parser.error("--doc writes every table: run every drill (no --only)")
        write_block(ROOT / "docs" / "drills.md", "drills-after", after)
        write_block(ROOT / "docs" / "drills.md", "drills-before", f"{before}\n\nLast run took {took:.0f}s.")
    return 1 if report.hard_failures else 0


if __name__ == "__main__":
    sys.exit(main())
