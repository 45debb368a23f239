"""Run every drill against after x2, then the contrast drills against before x2 with sticky sessions; print the
tables, write docs/drills.md, exit 1 on a failed hard target or a contrast that did not break.

python -m drills.run [--only tokens,live_after_kill,before:kill_replica,...] [--output docs/drills.md]
(`--only before` runs every contrast drill.)
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from drills import catalogs, faults, live
from drills.report import Report
from tests.topology import Topology

ROOT = Path(__file__).resolve().parent.parent
DRILLS = {drill.__name__: drill for drill in [*catalogs.CATALOGS, *faults.FAULTS, *live.LIVE]}
# The same drills on before x2 with sticky sessions, what teams try first, and how before/ must break them.
CONTRAST = {
    faults.kill_replica: "users pinned to B lose their session",
    faults.rolling_restart: "users are logged out: the fresh disks hold no sessions",
    live.live_after_kill: "pages miss the changes made on the other replica and end on a stale figure",
    catalogs.failed_logins_burst: "more than 5 get past: each replica allows 5 per window in its own memory",
}
HEADER = """# Reliability drills and bad-input catalogs

Written by `make drills` (`python -m drills.run`, also part of `make test`) against the after x2
topology: two replicas behind nginx, with Redis, an S3 server (moto) and one SQLite database, all on
loopback. Each row is one case. The 5xx column counts server errors no outage explains; any of them,
or a failed hard target (a forged token or bad input accepted, more than 5 failed logins past the limit
per window, more than 1 of 20 parallel refreshes succeeding, a live update missed by a connected page),
is a FAIL and makes `make drills` exit non-zero. "miss" marks a figure short of its target that is reported rather
than enforced (502s for the requests a SIGKILLed replica was serving, which nginx does not resend when
they are POSTs). The live rows keep WebSocket pages open through a fault, reconnecting on close as
`static/shop/live.js` does, and count every stock change each page shows.

"""
CONTRAST_HEADER = """

## before x2, sticky sessions, for contrast

The same drills against before/ behind nginx with sticky sessions (`Topology("before", 2, sticky=True)`),
the fix teams try first. Each row names the break before/ is expected to show; the row passes when
it breaks that way, and is a FAIL when it holds, as `tests/expected.toml` does for the suite.

"""
NOTES = """
## Reading the figures

- 50 concurrent failed logins: the login view counts each attempt with one atomic INCR before it
  checks the password, and takes successful logins off again (`accounts/views.py`). Reading the count,
  checking the password and only then counting the failure let every attempt of a burst read a count
  below the limit: all 50 got past before that change.
- Rate-limit windows: django-ratelimit counts in one-minute windows whose edges it offsets per username,
  so a burst across an edge rightly gets 5 in each window. On after/ the rows count the windows a burst
  fell in (the counters it created in Redis, which must hold every attempt) and allow 5 in each.
- The bucket: product pictures are public (a bucket policy on products/*, compose/bucket.py), invoices
  private; moto refuses anonymous reads the policy does not allow, as MinIO and S3 do. The shop hands
  out no presigned URL, which moto would serve with any signature.
- A checkout whose answer is lost with its replica may already be committed, with the cart not yet
  emptied. The cart page's checkout form carries a key (`checkout_key`), so the drill resends a failed
  checkout blindly and counts orders: a resent form is the same order, never a second one.
- Live pages: the replica behind each WebSocket is the X-Served-By of its handshake (`config/asgi.py`
  adds it there: a handshake passes through none of Django's HTTP middleware). A page that reconnects
  gets the current stock first, then every change from either replica through Redis pub/sub.
- Live pages through a Redis outage: the sockets stay open, so the pages never reload, and pub/sub
  keeps nothing for a replica that has not subscribed again yet (up to a second after Redis returns).
  This drill found every page missing the first change; after/'s channel layer (`live/layers.py`) now
  sends each page the current value once it has subscribed again.
- Sticky sessions pin a browser by a route cookie. A killed or replaced replica takes its pinned users'
  sessions with it (and their carts: a cart lives in the session), and WebSocket pages still hear only
  their own replica. An attacker sends no route cookie (or a fresh one per attempt), so nginx spreads
  the burst and each replica allows its own 5 per window.
"""


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
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "drills.md")
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    chosen = [drill for name, drill in DRILLS.items() if not only or name in only]
    contrast = [d for d in CONTRAST if not only or "before" in only or f"before:{d.__name__}" in only]

    report = Report()
    started = time.monotonic()
    if chosen:
        run(Topology("after", 2), chosen, report)
    if contrast:
        run(Topology("before", 2, sticky=True), contrast, report, CONTRAST)
    took = time.monotonic() - started
    tables = report.markdown()
    if contrast:
        tables += CONTRAST_HEADER + report.markdown(contrast=True)
    print(tables)
    print(f"{len(report.rows)} rows in {took:.0f}s; failed: {len(report.hard_failures)}")
    args.output.write_text(HEADER + tables + f"\n\nLast run took {took:.0f}s.\n" + NOTES)
    return 1 if report.hard_failures else 0


if __name__ == "__main__":
    sys.exit(main())
