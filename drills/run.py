"""Run every drill against after x2, print the table, write docs/drills.md, exit 1 on a failed hard target.

python -m drills.run [--only tokens,uploads,...] [--output docs/drills.md]
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from drills import catalogs, faults
from drills.report import Report
from tests.topology import Topology

ROOT = Path(__file__).resolve().parent.parent
DRILLS = {drill.__name__: drill for drill in [*catalogs.CATALOGS, *faults.FAULTS]}
HEADER = """# Reliability drills and bad-input catalogs

Written by `make drills` (`python -m drills.run`, also part of `make test`) against the after x2
topology: two replicas behind nginx, with Redis, an S3 server (moto) and one SQLite database, all on
loopback. Each row is one case. The 5xx column counts server errors no outage explains; any of them,
or a failed hard target (a forged token or bad input accepted, more than 5 logins past the limit, more
than 1 of 20 parallel refreshes succeeding), is a FAIL and makes `make drills` exit non-zero. "miss"
marks a figure short of its target that is reported rather than enforced (502s for the requests a
SIGKILLed replica was serving, which nginx does not resend when they are POSTs).

"""
NOTES = """
## Reading the figures

- 50 concurrent failed logins: the login view counts each attempt with one atomic INCR before it
  checks the password, and takes successful logins off again (`accounts/views.py`). Reading the count,
  checking the password and only then counting the failure let every attempt of a burst read a count
  below the limit: all 50 got past before that change.
- Presigned URLs: moto accepts any signature, so tampering and expiry can only be checked against
  MinIO or S3 (`make compose-test`).
- A checkout whose answer is lost with its replica may already be committed, with the cart not yet
  emptied. The cart page's checkout form carries a key (`checkout_key`), so the drill resends a failed
  checkout blindly and counts orders: a resent form is the same order, never a second one.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(DRILLS)}")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "drills.md")
    args = parser.parse_args()
    chosen = [DRILLS[name] for name in args.only.split(",") if name] or list(DRILLS.values())

    report = Report()
    started = time.monotonic()
    topology = Topology("after", 2)
    topology.start()
    try:
        for drill in chosen:
            print(f"drill: {drill.__name__}", flush=True)
            try:
                drill(topology, report)
            except Exception:  # noqa: BLE001 - a drill that breaks is a failed row, and the others still run
                traceback.print_exc()
                row = report.row(drill.__name__, "the drill itself raised (see the output)", hard=True)
                row.failed = True
    finally:
        topology.stop()
    table = report.markdown()
    took = time.monotonic() - started
    print(table)
    print(f"{len(report.rows)} rows in {took:.0f}s; hard targets failed: {len(report.hard_failures)}")
    args.output.write_text(HEADER + table + f"\n\nLast run took {took:.0f}s.\n" + NOTES)
    return 1 if report.hard_failures else 0


if __name__ == "__main__":
    sys.exit(main())
