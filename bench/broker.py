"""The fan-out broker, chosen by measurement: channels_redis' two layers, each on a fresh after×2.

For each layer of bench/layers.py (after/'s pub/sub layer, and channels_redis' core RedisChannelLayer):
- fan-out: `sizes` WebSocket clients, half on each replica, watching one product; `messages` published one
  at a time (bench/live.py's `published`: p50/p99 from the publish to each client), then `burst` back to
  back for deliveries/s (fewer than the core layer's capacity of 100, so both layers deliver them all);
- overload: `overload` messages back to back, more than that capacity, then markers until a marker has
  reached every client (messages on one socket keep their order, so nothing later can still arrive):
  how many deliveries arrived, and how long the last took;
- memory: the replicas' RSS (VmRSS, /proc/<pid>/status) before and after the largest audience connected,
  per page and per 1,000 pages;
- faults: the drills' live rows (drills/live.py) on the same topology, pages that reconnect as live.js
  does: Redis stopped and started again (Topology.stop_service/start_service), and replica B SIGKILLed
  and replaced. Then what the layer left in Redis: the core layer's group memberships outlive a dead
  replica (`group_expiry`, 24 h), pub/sub subscriptions end with their connection;
- the floor: the same publish → every client from two bare WebSocket servers (bench/floor_server.py).
The bench publishes with the same layer class as the replicas (a layer only talks to its own kind).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from websockets.asyncio.client import connect

from bench.layers import LAYERS
from bench.live import Audience, published
from drills import live as live_drills
from drills.report import Report
from harness import ROOT, Topology, Visitor, product_group

PUBLISHERS = {"pubsub": RedisPubSubChannelLayer, "core": RedisChannelLayer}
OVERLOAD = 1_000_000  # overload messages are numbered from here, markers after them


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def replicas_rss_mb(topology: Topology) -> float:
    return sum(rss_mb(replica.pid) for replica in topology.replicas)


async def _publish(layer, product_id: int, tag: str, number: int) -> None:
    message = {"type": "stock", "product": product_id, "stock": 1, tag: number}
    await layer.group_send(product_group(product_id), {"type": "live.update", "message": message})


async def _overloaded(layer, audience: Audience, product_id: int, count: int) -> dict:
    """`count` published back to back; then markers until one has reached every client. Each marker is one more
    message to every client, queued behind the backlog: the wait between them doubles, from 50 ms to 2 s."""
    start = time.perf_counter()
    for number in range(count):
        await _publish(layer, product_id, "burst", OVERLOAD + number)
    published_in = time.perf_counter() - start
    deadline = time.monotonic() + 120
    marker, wait = OVERLOAD, 0.05
    while True:
        marker += 1
        await _publish(layer, product_id, "seq", marker)
        try:
            await asyncio.wait_for(audience.everyone[("seq", marker)].wait(), wait)
            break
        except TimeoutError:
            if time.monotonic() > deadline:
                raise RuntimeError("no marker reached every client in 120 s") from None
            wait = min(wait * 2, 2.0)
    arrivals = [audience.arrivals.pop(("burst", OVERLOAD + number), []) for number in range(count)]
    last = max((at for times in arrivals for at in times), default=start)
    return {
        "messages": count,
        "published_in_s": published_in,
        "deliveries": sum(map(len, arrivals)),
        "expected": count * len(audience.sockets),
        "messages_reaching_everyone": sum(len(times) == len(audience.sockets) for times in arrivals),
        "messages_reaching_no_one": sum(not times for times in arrivals),
        "last_arrival_s": last - start,
    }


async def fan_out(topology: Topology, layer_name: str, *, sizes, messages: int, burst: int, overload: int) -> dict:
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    layer = PUBLISHERS[layer_name](hosts=[{"address": topology.redis_admin_url}])
    results: dict = {}
    # The largest first, on replicas that have held no page yet: its memory figure starts from a fresh heap.
    for size in sorted(sizes, reverse=True):
        product_id, _ = staff.create_product(stock=1)
        rss_before = replicas_rss_mb(topology)
        audience = await Audience.connect(topology, product_id, size)
        rss_connected = replicas_rss_mb(topology)
        try:
            latencies = await published(layer, audience, product_id, messages)
            start = time.perf_counter()
            for number in range(burst):
                await _publish(layer, product_id, "burst", number)
            finished = max(await audience.received(("burst", burst - 1)))
            overloaded = await _overloaded(layer, audience, product_id, overload)
        finally:
            await audience.close()
        results[size] = {
            "publish": latencies,
            "burst_messages": burst,
            "deliveries_per_s": burst * size / (finished - start),
            "overload": overloaded,
            "rss_mb_before": rss_before,
            "rss_mb_connected": rss_connected,
            "kb_per_page": (rss_connected - rss_before) * 1024 / size,
        }
    await layer.flush() if layer_name == "pubsub" else await layer.close_pools()
    return results


def left_in_redis(topology: Topology) -> dict:
    """What the layer keeps in Redis once every page is closed: group memberships, and channels subscribed."""
    with topology.redis_client() as redis:
        groups = list(redis.scan_iter("asgi:group:*"))
        return {
            "group_members": sum(redis.zcard(key) for key in groups),
            "message_keys": sum(1 for _ in redis.scan_iter("asgispecific*")),
            "subscribed_channels": len(redis.pubsub_channels("asgi*")),
        }


def faults(topology: Topology, *, outage_s: float, pages: int) -> dict:
    """The drills' two live rows on this topology, each as its figures."""
    report = Report()
    live_drills.live_through_redis_outage(topology, report, seconds=outage_s, count=pages)
    live_drills.live_after_kill(topology, report, clients=pages)
    after_kill = left_in_redis(topology)
    rows = {
        name: {
            "case": row.case,
            "tried": row.tried,
            "as_expected": row.as_expected,
            "failed": row.failed,
            "note": row.note,
        }
        for name, row in zip(("redis_restart", "replica_kill"), report.rows, strict=True)
    }
    return {**rows, "left_in_redis_after_kill": after_kill}


async def floor(*, sizes, messages: int) -> dict:
    """The same publish → every client, from two bare WebSocket servers (bench/floor_server.py, half the
    clients on each, as on after×2) instead of two replicas and a layer: what this machine, its loopback
    and the bench's own clients cost without Django, Channels or Redis."""
    servers = [
        subprocess.Popen([sys.executable, "-m", "bench.floor_server"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        ports = [int(server.stdout.readline()) for server in servers]
        results = {}
        for size in sorted(sizes, reverse=True):
            sockets = [await connect(f"ws://127.0.0.1:{ports[i % 2]}/page") for i in range(size)]
            publishers = [await connect(f"ws://127.0.0.1:{port}/publish") for port in ports]
            audience = Audience(sockets)
            latencies: list[float] = []
            try:
                for number in range(-1, messages):  # the first, not counted, warms both servers up
                    text = json.dumps({"type": "stock", "product": 1, "stock": 1, "seq": number})
                    start = time.perf_counter()
                    for publisher in publishers:
                        await publisher.send(text)
                    arrivals = await audience.received(("seq", number))
                    if number >= 0:
                        latencies += [(at - start) * 1000 for at in arrivals]
            finally:
                await audience.close()
                await asyncio.gather(*(publisher.close() for publisher in publishers))
            results[size] = {"publish": latencies}
        return results
    finally:
        for server in servers:
            server.kill()
            server.wait()


def broker(*, sizes, messages: int, burst: int, overload: int, outage_s: float, pages: int) -> dict:
    """Each layer on an after×2 of its own, started and stopped here (call from the thread that starts processes)."""
    results: dict = {"load_average": {}}
    for name, options in LAYERS.items():
        topology = Topology("after", 2, database_url=os.environ.get("DATABASE_URL"), **options).start()
        try:
            results["load_average"][name] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            measured = asyncio.run(
                fan_out(topology, name, sizes=sizes, messages=messages, burst=burst, overload=overload)
            )
            results[name] = {"fan_out": measured, **faults(topology, outage_s=outage_s, pages=pages)}
        except BaseException:
            for replica in topology.replicas:  # their logs go with the topology's directory
                print(f"--- {name}: {replica.name}\n{replica.process.tail(40)}", flush=True)
            raise
        finally:
            topology.stop()
    results["floor"] = {"fan_out": asyncio.run(floor(sizes=sizes, messages=messages))}
    results["load_average"]["floor"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return results


FULL = {"sizes": (100, 1000), "messages": 200, "burst": 50, "overload": 500, "outage_s": 5.0, "pages": 20}
# A few seconds a layer past its topology's start: every part runs, none long enough to measure anything.
SMOKE = {"sizes": (2, 10), "messages": 5, "burst": 10, "overload": 150, "outage_s": 1.0, "pages": 10}


def measure(*, smoke: bool = False) -> dict:
    return broker(**(SMOKE if smoke else FULL))


def main() -> None:
    """python -m bench.broker [--smoke] [--json PATH]: this part alone; its block into docs/04-live-updates.md
    unless --smoke (then printed). make bench runs it too (bench/run.py)."""
    import argparse

    from bench import report
    from harness import ROOT
    from harness.pages import write_block

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = measure(smoke=args.smoke)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    results = json.loads(json.dumps(results))  # sizes as strings, as bench/report.py reads them back from JSON
    body = report.broker(results)
    if args.smoke:
        print(body)
    else:
        write_block(ROOT / "docs" / report.PAGES["bench-broker"], "bench-broker", body)


if __name__ == "__main__":
    main()
