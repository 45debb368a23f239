"""What statelessness costs, measured side by side.

    python -m bench.run                          # make bench: the figures into docs/benchmarks.md's blocks
    python -m bench.run --smoke                  # make bench-smoke: every part briefly, to .results/bench-smoke.md
    python -m bench.run [--smoke] --output PATH  # every block in one Markdown file at PATH; docs/ is left alone
    python -m bench.run ... --json PATH          # also the raw results (bench/test_report.json is a smoke run's)

Starts before-1 and after-2 with the harness (real processes on loopback ports), then runs each part:
- request cost (bench/load.py): wrk on the hot paths against one replica of each tree, addressed
  directly, interleaved in rounds, plus the SQL queries and Redis commands one request makes (bench/counts.py);
- uploads (bench/uploads.py): replica memory growth and throughput for an upload over the limit and a
  4.5 MB picture, against boto3 straight to S3;
- scale-out (bench/load.py): the same wrk load through nginx on after/ scaled to one replica and to two;
- capacity (bench/capacity.py): Redis' commands, bytes and CPU per request, redis-benchmark, a session's
  size in Redis, after/ on 1 to 3 replicas; the model, and its plot in docs/capacity.png (or beside --output);
- live updates (bench/live.py): WebSocket clients on after-2, half on each replica, latency and throughput;
- the fan-out broker (bench/broker.py): channels_redis' core layer against after/'s pub/sub layer, each on an
  after-2 of its own (its block is in docs/04-live-updates.md).
bench/report.py turns the results into the Markdown blocks; docs/benchmarks.md has the prose around them.
Benchmarks are not timed tests: nothing here asserts on speed, only that every request got the answer
it should (so the figures never measure error pages).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import broker, capacity, report
from bench.live import live_updates
from bench.load import Shop, pinned, request_cost, scale_out, unpinned
from bench.uploads import uploads
from harness import ROOT, Topology
from harness.pages import blocks, write_block

PAGE = ROOT / "docs" / "benchmarks.md"


@dataclass
class Settings:
    rounds: int
    seconds: int
    connections: int
    scale_connections: int
    ws_clients: int
    ws_messages: int
    ws_burst: int
    upload_rounds: int
    upload_mb: int


FULL = Settings(
    rounds=5,
    seconds=4,
    connections=4,
    scale_connections=8,
    ws_clients=100,
    ws_messages=200,
    ws_burst=200,
    upload_rounds=3,
    upload_mb=50,
)
SMOKE = Settings(
    rounds=1,
    seconds=1,
    connections=2,
    scale_connections=4,
    ws_clients=20,
    ws_messages=10,
    ws_burst=10,
    upload_rounds=1,
    upload_mb=10,
)


def machine() -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        result = subprocess.run(argv, capture_output=True, text=True)
        return (result.stdout or result.stderr).strip().splitlines()[0]

    import django
    import moto
    import uvicorn
    import websockets

    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return {
        "machine": f"{cpu.group(1) if cpu else platform.machine()}, {os.cpu_count()} cores, "
        f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB RAM",
        "load average at start": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "Django / uvicorn": f"{django.get_version()} / {uvicorn.__version__}",
        "SQLite": sqlite3.sqlite_version,
        "redis-server": first_line(["redis-server", "--version"]).split(" sha=")[0],
        "nginx": first_line(["nginx", "-v"]),
        "wrk": first_line(["wrk", "-v"]).split(" Copyright")[0],
        "S3 server": f"moto {moto.__version__}",
        "websockets (clients)": websockets.__version__,
    }


def measure(settings: Settings) -> dict:
    results: dict = {"settings": asdict(settings), "machine": machine()}
    started = time.monotonic()
    shops: list[Shop] = []
    try:
        # In this thread, one after the other: the harness ties each process's life to the thread that
        # started it (PR_SET_PDEATHSIG). after/ runs on two replicas: request cost and uploads address
        # its first replica directly, as they do before/'s only one; scale-out scales it in and out again.
        for name, tree, replicas in (("before-1", "before", 1), ("after-2", "after", 2)):
            shop = Shop(name, Topology(tree, replicas, database_url=os.environ.get("DATABASE_URL")).start())
            shops.append(shop)
            shop.prepare()
            print(f"[{time.monotonic() - started:.0f} s] {name} is up: {shop.topology.url}", flush=True)
        before, after = shops
        topologies = [shop.topology for shop in shops]
        # One tree after the other: the API read's parts are timed in CPU, best with a core to itself.
        smoke = settings is SMOKE
        results["counts"] = {shop.topology.tree: shop.counts(shop.start_counting(smoke=smoke)) for shop in shops}
        results["gc"] = {shop.topology.tree: shop.gc for shop in shops}
        results["api_read_parts"] = {shop.topology.tree: shop.api_read_parts for shop in shops}
        print(f"[{time.monotonic() - started:.0f} s] request cost (wrk):", flush=True)
        results["pinned"] = pinned(topologies)
        try:
            results["cost"] = request_cost(
                before, after, rounds=settings.rounds, seconds=settings.seconds, connections=settings.connections
            )
        finally:
            unpinned(topologies)
        print(f"[{time.monotonic() - started:.0f} s] uploads:", flush=True)
        results["uploads"] = uploads(topologies, rounds=settings.upload_rounds, megabytes=settings.upload_mb)
        print(f"[{time.monotonic() - started:.0f} s] scale-out (wrk through nginx):", flush=True)
        results["scale"] = scale_out(
            after, rounds=settings.rounds, seconds=settings.seconds, connections=settings.scale_connections
        )
        print(f"[{time.monotonic() - started:.0f} s] capacity (1 to 3 replicas, redis-benchmark):", flush=True)
        results["capacity"] = capacity.measure(
            after, rounds=max(1, settings.rounds // 2), seconds=settings.seconds, connections=settings.scale_connections
        )
        print(f"[{time.monotonic() - started:.0f} s] live updates:", flush=True)
        # Last: it starts threads (asyncio.to_thread), and no process may be started after that.
        results["live"] = asyncio.run(
            live_updates(
                after.topology, clients=settings.ws_clients, messages=settings.ws_messages, burst=settings.ws_burst
            )
        )
    finally:
        for shop in shops:
            shop.topology.stop()
    # On topologies of its own, one per channel layer, once the others are stopped (and the live part's threads
    # with its event loop): it starts processes.
    print(f"[{time.monotonic() - started:.0f} s] the fan-out broker, channels_redis' two layers:", flush=True)
    results["broker"] = broker.measure(smoke=settings is SMOKE)
    results["took"] = time.monotonic() - started
    results["finished"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    return results


def page_of(block: str) -> Path:
    return PAGE.with_name(report.PAGES.get(block, PAGE.name))


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="every benchmark, briefly: checks that they run")
    parser.add_argument("--output", type=Path, help="one Markdown file with every block, instead of docs/")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    output = args.output or (ROOT / ".results" / "bench-smoke.md" if args.smoke else None)
    if not output and (missing := [name for name in report.TITLES if name not in blocks(page_of(name).read_text())]):
        parser.error(f"docs/ has no generated block for {', '.join(sorted(missing))}")

    results = measure(SMOKE if args.smoke else FULL)
    results["command"] = "make bench-smoke" if args.smoke else "make bench"
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.standalone(results))
    else:
        for name, body in report.blocks(results).items():
            write_block(page_of(name), name, body)
    plotted = capacity.plot(results, (output.parent if output else PAGE.parent) / "capacity.png")
    print(f"written to {shown(output or PAGE)} and {shown(plotted)}")


if __name__ == "__main__":
    sys.exit(main())
