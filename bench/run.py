"""What statelessness costs, measured side by side: `python -m bench.run` (make bench) writes docs/benchmarks.md.

Starts before-1 and after-2 with the harness (real processes on loopback ports), then:
- request cost: wrk on the hot paths against one replica of each tree, addressed directly, interleaved
  in rounds, plus the SQL queries and Redis commands one request makes in each tree (bench/counts.py);
- live updates: 100 WebSocket clients on after-2, half on each replica, delivery latency and throughput;
- uploads: replica memory growth and throughput for a 50 MB and a 5 MB upload, against boto3 straight to S3;
- scale-out: the same wrk load through nginx on after/ scaled to one replica and to two, with each one's CPU.
Benchmarks are not timed tests: nothing here asserts on speed, only that every request got the answer
it should (so the figures never measure error pages). `--smoke` runs everything briefly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
import websockets
from channels_redis.pubsub import RedisPubSubChannelLayer
from PIL import Image
from websockets.asyncio.client import connect

from harness import BUCKET, CUSTOMER, ROOT, ApiClient, Topology, Visitor, live_url, product_group

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
PATHS = {
    # name: (what the table calls it, the status every response must have)
    "product": ("product page, logged in", 200),
    "cart_page": ("cart page, logged in", 200),
    "cart_add": ("cart add (POST, CSRF)", 302),
    "api_read": ("API read, Bearer token", 200),
    "login": ("login (POST, CSRF)", 302),
}


@dataclass
class Settings:
    rounds: int
    seconds: int
    connections: int
    ws_clients: int
    ws_messages: int
    ws_burst: int
    upload_rounds: int
    upload_mb: int


FULL = Settings(
    rounds=5, seconds=4, connections=4, ws_clients=100, ws_messages=200, ws_burst=200, upload_rounds=3, upload_mb=50
)
SMOKE = Settings(
    rounds=1, seconds=1, connections=2, ws_clients=20, ws_messages=10, ws_burst=10, upload_rounds=1, upload_mb=10
)


# -- load with wrk ---------------------------------------------------------------------------------


@dataclass
class Request:
    url: str
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] | None = None


def wrk(request: Request, *, seconds: int, connections: int, socket_errors_ok: bool = False) -> dict:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(WRK_SCRIPT)]
    for name, value in (request.headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    env = {**os.environ, "BENCH_METHOD": request.method, "BENCH_BODY": request.body}
    result = subprocess.run([*argv, request.url], capture_output=True, text=True, env=env, timeout=seconds + 60)
    line = next((line for line in result.stdout.splitlines() if line.startswith('{"bench"')), None)
    if result.returncode or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    stats = json.loads(line)
    if stats["status_errors"] or (stats["socket_errors"] and not socket_errors_ok) or not stats["requests"]:
        raise RuntimeError(f"{request.method} {request.url}: not every response was right: {stats}")
    seconds_taken = stats["duration_us"] / 1e6
    return {
        "requests": stats["requests"],
        "rps": stats["requests"] / seconds_taken,
        "p50": stats["p50_us"] / 1000,
        "p99": stats["p99_us"] / 1000,
    }


@dataclass
class Shop:
    """One tree's topology, with the visitors and data the benchmarked paths need."""

    name: str
    topology: Topology

    def prepare(self) -> None:
        base = self.topology.replica(0).url
        staff = Visitor(base)
        staff.log_in_as_staff()
        # Stock enough that no cart-add run reaches it (the shop refuses more than it has).
        self.cart_product_id, _ = staff.create_product(stock=1_000_000_000)
        self.slug = next(iter(staff.products()))
        self.customer = Visitor(base)
        assert self.customer.log_in(*CUSTOMER).status_code == 302, "the seeded customer cannot log in"
        self.anonymous = Visitor(base)
        self.anonymous.get("/accounts/login/")

    def request(self, path: str, base: str | None = None) -> Request:
        """A fresh request for `path`: the API token is obtained anew, since it lives five minutes."""
        base = base or self.topology.replica(0).url
        csrf = {"X-CSRFToken": self.customer.http.cookies["csrftoken"], "Cookie": self.customer.cookie_header()}
        if path == "product":
            return Request(f"{base}/products/{self.slug}/", headers={"Cookie": self.customer.cookie_header()})
        if path == "cart_page":
            return Request(f"{base}/cart/", headers={"Cookie": self.customer.cookie_header()})
        if path == "cart_add":
            return Request(f"{base}/cart/add/{self.cart_product_id}/", "POST", "quantity=1", csrf)
        if path == "api_read":
            token = ApiClient(base).log_in(*CUSTOMER).access
            return Request(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})
        token = self.anonymous.http.cookies["csrftoken"]
        body = f"username={CUSTOMER[0]}&password={CUSTOMER[1]}"
        return Request(f"{base}/accounts/login/", "POST", body, {"X-CSRFToken": token, "Cookie": f"csrftoken={token}"})

    def check(self, path: str) -> None:
        """One request by hand first: the load must measure the page, not an error."""
        request = self.request(path)
        response = requests.request(
            request.method,
            request.url,
            data=request.body or None,
            headers={**(request.headers or {}), "Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            timeout=30,
        )
        wanted = PATHS[path][1]
        if response.status_code != wanted:
            raise RuntimeError(f"{self.name} {path}: {response.status_code}, not {wanted}: {response.text[:300]}")

    def start_counting(self) -> subprocess.Popen:
        env = {
            **os.environ,
            **self.topology.environment(),
            "INSTANCE_DIR": str(self.topology.workdir / "bench-counts"),
            "REPLICA_NAME": "bench-counts",
        }
        return subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "counts.py"), self.slug, str(self.cart_product_id)],
            cwd=ROOT / self.topology.tree,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def counts(self, counting: subprocess.Popen) -> dict:
        stdout, stderr = counting.communicate(timeout=120)
        if counting.returncode:
            raise RuntimeError(f"bench/counts.py in {self.topology.tree}/ failed:\n{stderr}")
        counted = json.loads(stdout.splitlines()[-1])
        self.gc = counted.pop("gc")
        for path, figures in counted.items():
            if figures["status"] != PATHS[path][1]:
                raise RuntimeError(f"{self.name} {path} in-process: {figures['status']}, not {PATHS[path][1]}")
        return counted


def request_cost(before: Shop, after: Shop, settings: Settings) -> dict:
    """Each path on before-1 and after-1 in turn, round after round, the order swapped every round."""
    runs: dict[str, dict[str, list[dict]]] = {path: {"before": [], "after": []} for path in PATHS}
    for shop in (before, after):
        for path in PATHS:
            shop.check(path)
    for round_number in range(settings.rounds):
        for path in PATHS:
            pair = (before, after) if round_number % 2 == 0 else (after, before)
            for shop in pair:
                # Login hashes the password (PBKDF2) on every request: give it longer to gather a sample.
                seconds = settings.seconds * (2 if path == "login" else 1)
                pid = shop.topology.replica(0).pid
                cpu_before = cpu_seconds(pid)
                figures = wrk(shop.request(path), seconds=seconds, connections=settings.connections)
                figures["cpu_ms_per_request"] = 1000 * (cpu_seconds(pid) - cpu_before) / figures["requests"]
                runs[path][shop.topology.tree].append(figures)
                print(f"  round {round_number + 1} {path:<9} {shop.topology.tree:<6} {summary(figures)}", flush=True)
    return runs


def summary(figures: dict) -> str:
    text = f"{figures['rps']:8.1f} req/s  p50 {figures['p50']:7.2f} ms  p99 {figures['p99']:7.2f} ms"
    return text + (f"  cpu {figures['cpu_ms_per_request']:.2f} ms/req" if "cpu_ms_per_request" in figures else "")


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def ratio_of(before_runs: list[dict], after_runs: list[dict], key: str) -> float:
    """The median of each round's after/before ratio: drift across rounds cancels out within a round."""
    return statistics.median(a[key] / b[key] for a, b in zip(after_runs, before_runs, strict=True))


# -- scale-out -------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc/<pid>/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def set_cpus(pid: int, cpus: set[int]) -> None:
    """Every thread of a process onto `cpus`; threads it starts later inherit them."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task.name), cpus)


def every_process(shops: list[Shop]) -> list[int]:
    pids = [os.getpid()]
    for shop in shops:
        pids += shop.topology.pids()
    return pids


def pinned(shops: list[Shop]) -> bool:
    """The benchmarked replicas on the last core, everything else (wrk, Redis, S3, nginx, the other
    replica) on the others, as if the shared services ran on machines of their own: a Redis round trip
    then costs a trip over loopback, not a wait for the core the replica is using. False on one core."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return False
    for pid in every_process(shops):
        set_cpus(pid, set(cpus[:-1]))
    for shop in shops:
        set_cpus(shop.topology.replica(0).pid, {cpus[-1]})
    return True


def unpinned(shops: list[Shop]) -> None:
    everything = set(range(os.cpu_count() or 1))
    for pid in every_process(shops):
        set_cpus(pid, everything)


def scale_out(shop: Shop, settings: Settings) -> dict:
    """The same wrk load through nginx on after's two replicas and, scaled in, on one; each replica's CPU seconds.

    Scaling the running topology (as an operator would) rather than starting a second one: the one that
    remains is the same process with the same warm caches. It ends on two replicas again.
    """
    topology = shop.topology
    runs: dict[str, list[dict]] = {"after-1": [], "after-2": []}
    for round_number in range(settings.rounds):
        for count in (2, 1) if round_number % 2 == 0 else (1, 2):
            if len(topology.replicas) != count:
                topology.scale_to(count)
                # Discarded: the old nginx worker closes the connections it still holds after the reload.
                wrk(shop.request("cart_page", base=topology.url), seconds=1, connections=1, socket_errors_ok=True)
            pids = [replica.pid for replica in topology.replicas]
            cpu_before = [cpu_seconds(pid) for pid in pids]
            request = shop.request("cart_page", base=topology.url)
            figures = wrk(request, seconds=settings.seconds, connections=settings.connections * 2)
            figures["cpu"] = [cpu_seconds(pid) - start for pid, start in zip(pids, cpu_before, strict=True)]
            figures["cpu_ms_per_request"] = 1000 * sum(figures["cpu"]) / figures["requests"]
            runs[f"after-{count}"].append(figures)
            cpu = ", ".join(f"{seconds:.2f}" for seconds in figures["cpu"])
            print(f"  round {round_number + 1} after-{count}   {summary(figures)}  cpu s {cpu}", flush=True)
    if len(topology.replicas) != 2:
        topology.scale_to(2)
    return runs


# -- uploads ---------------------------------------------------------------------------------------


def memory_kib(pid: int, field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    return int(match.group(1))


def noise_png(size: int) -> bytes:
    """A PNG of random pixels, which does not compress: about `size` bytes of real image."""
    side = int((size / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def uploads(shops: list[Shop], settings: Settings) -> dict:
    """A 50 MB upload (10 MB in the smoke run), refused with 413 once received, and a 4.5 MB picture, stored.

    Replica memory growth: the peak RSS (VmHWM, reset through /proc/<pid>/clear_refs) minus the RSS before.
    """
    files = {
        f"{settings.upload_mb} MB of random bytes": (os.urandom(settings.upload_mb * 1024 * 1024), 413),
        "4.5 MB picture": (noise_png(4_500_000), 302),
    }
    results: dict[str, dict[str, list[dict]]] = {}
    for shop in shops:
        replica = shop.topology.replica(0)
        pid = replica.pid
        staff = Visitor(replica.url)
        staff.log_in_as_staff()
        product_id, _ = staff.create_product(stock=1)
        for _ in range(settings.upload_rounds):
            for label, (data, wanted) in files.items():
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak RSS to the current RSS
                rss = memory_kib(pid, "VmRSS")
                start = time.perf_counter()
                response = staff.upload_picture(product_id, data, filename="upload.png")
                elapsed = time.perf_counter() - start
                if response.status_code != wanted:
                    raise RuntimeError(f"{shop.topology.tree}/ upload {label}: {response.status_code}, not {wanted}")
                growth = (memory_kib(pid, "VmHWM") - rss) / 1024
                figures = {"mb_per_s": len(data) / elapsed / 1e6, "growth_mb": growth, "bytes": len(data)}
                answer = "413, over the limit" if wanted == 413 else "302, stored"
                results.setdefault(label, {}).setdefault(f"{shop.topology.tree}/ replica: {answer}", []).append(figures)
                print(f"  {shop.topology.tree:<9} {label:<24} {figures['mb_per_s']:7.1f} MB/s  RSS +{growth:.1f} MiB")
    s3 = shops[-1].topology.s3_client(request_checksum_calculation="when_required", s3={"addressing_style": "path"})
    for _ in range(settings.upload_rounds):
        for label, (data, _) in files.items():
            start = time.perf_counter()
            s3.put_object(Bucket=BUCKET, Key=f"bench/{len(data)}", Body=data)
            figures = {"mb_per_s": len(data) / (time.perf_counter() - start) / 1e6, "bytes": len(data)}
            results[label].setdefault("boto3 straight to S3: stored", []).append(figures)
            print(f"  boto3     {label:<24} {figures['mb_per_s']:7.1f} MB/s")
    return results


# -- live updates ----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Audience:
    """WebSocket clients watching one product, each read by a task of its own that timestamps every
    message as it arrives (a waiter made per message and client would add its own cost to the figures)."""

    def __init__(self, sockets: list) -> None:
        self.sockets = sockets
        self.arrivals: dict[tuple, list[float]] = defaultdict(list)
        self.everyone: dict[tuple, asyncio.Event] = defaultdict(asyncio.Event)
        self.readers = [asyncio.create_task(self._read(socket)) for socket in sockets]

    @classmethod
    async def connect(cls, topology: Topology, product_id: int, clients: int) -> Audience:
        """`clients` sockets, alternately on replica A and B; each first gets the current stock."""
        sockets = []
        for index in range(clients):
            replica = topology.replica(index)
            sockets.append(await connect(live_url(replica, f"/ws/products/{product_id}/"), origin=replica.url))
        await asyncio.gather(*(socket.recv() for socket in sockets))
        return cls(sockets)

    async def _read(self, socket) -> None:
        async for raw in socket:
            at = time.perf_counter()
            message = json.loads(raw)
            key = next((name, message[name]) for name in ("seq", "burst", "stock") if name in message)
            self.arrivals[key].append(at)
            if len(self.arrivals[key]) == len(self.sockets):
                self.everyone[key].set()

    async def received(self, key: tuple) -> list[float]:
        """When each client got the message `key`, once all have."""
        await asyncio.wait_for(self.everyone[key].wait(), 30)
        del self.everyone[key]
        return self.arrivals.pop(key)

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(socket.close() for socket in self.sockets))


async def published(layer, audience: Audience, product_id: int, count: int, tag: str = "seq") -> list[float]:
    """`count` messages published one at a time (each once every client has the last): latencies in ms.
    One more goes first, not counted: the first publish opens the bench's own connection to Redis."""
    latencies: list[float] = []
    for number in range(-1, count):
        message = {"type": "stock", "product": product_id, "stock": 1, tag: number}
        start = time.perf_counter()
        await layer.group_send(product_group(product_id), {"type": "live.update", "message": message})
        arrivals = await audience.received((tag, number))
        if number >= 0:
            latencies += [(at - start) * 1000 for at in arrivals]
    return latencies


async def live_updates(shop: Shop, settings: Settings) -> dict:
    """Clients on both replicas of after-2 watch one product; messages are published in two ways.

    - publish: the bench publishes on the channel layer (Redis pub/sub) as a replica does after a commit;
      latency runs from the publish to each client's receipt (one clock: the bench is sender and receiver).
    - staff change: staff set the stock on replica B; latency runs from sending that request, so it
      includes the request itself.
    And fan-out: the same publish to audiences of other sizes, to show what the latency grows with.
    """
    topology = shop.topology
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    layer = RedisPubSubChannelLayer(hosts=[{"address": topology.environment()["REDIS_URL"]}])
    fan_out: dict[int, list[float]] = {}
    for clients in sorted({2, settings.ws_clients // 5, settings.ws_clients}):
        product_id, _ = staff.create_product(stock=1)
        audience = await Audience.connect(topology, product_id, clients)
        try:
            fan_out[clients] = await published(layer, audience, product_id, settings.ws_messages)
            if clients != settings.ws_clients:
                continue
            staff_latencies: list[float] = []
            for number in range(max(settings.ws_messages // 10, 3)):
                stock = 1000 + number
                start = time.perf_counter()
                changed = await asyncio.to_thread(staff.post, f"/staff/products/{product_id}/stock/", {"stock": stock})
                if changed.status_code != 302:
                    raise RuntimeError(f"staff stock change: {changed.status_code}")
                staff_latencies += [(at - start) * 1000 for at in await audience.received(("stock", stock))]

            # Throughput: a burst published back to back, until every client has every message.
            start = time.perf_counter()
            for number in range(settings.ws_burst):
                message = {"type": "stock", "product": product_id, "stock": 1, "burst": number}
                await layer.group_send(product_group(product_id), {"type": "live.update", "message": message})
            finished = max(await audience.received(("burst", settings.ws_burst - 1)))
        finally:
            await audience.close()
    await layer.flush()
    return {
        "clients": settings.ws_clients,
        "publish": fan_out[settings.ws_clients],
        "fan_out": fan_out,
        "staff": staff_latencies,
        "burst_messages": settings.ws_burst,
        "deliveries_per_s": settings.ws_burst * settings.ws_clients / (finished - start),
    }


# -- the report ------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        result = subprocess.run(argv, capture_output=True, text=True)
        return (result.stdout or result.stderr).strip().splitlines()[0]

    import django
    import moto
    import uvicorn

    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    return {
        "machine": f"{cpu.group(1) if cpu else platform.machine()}, {os.cpu_count()} cores, "
        f"{_total_memory_gib():.1f} GiB RAM",
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


def _total_memory_gib() -> float:
    match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return int(match.group(1)) / 1024 / 1024


def ms(value: float) -> str:
    return f"{value:.2f}"


def glance(results: dict) -> list[str]:
    cost, live, scale = results["cost"], results["live"], results["scale"]
    ratios = {PATHS[path][0]: ratio_of(runs["before"], runs["after"], "p50") for path, runs in cost.items()}
    over = [f"{label} {ratio:.2f}" for label, ratio in ratios.items() if ratio > 1.10]
    growth = max(
        run["growth_mb"]
        for by_target in results["uploads"].values()
        for target, runs in by_target.items()
        if target.startswith("after/") and "413" in target
        for run in runs
    )
    return [
        "| request latency after/before at most 1.10 on every path (p50) | "
        + (f"not met on {len(over)} of {len(ratios)} paths: {'; '.join(over)}" if over else "met on every path")
        + "; CPU per request after/before: "
        + ", ".join(f"{ratio_of(runs['before'], runs['after'], 'cpu_ms_per_request'):.2f}" for runs in cost.values())
        + " |",
        f"| live updates, {live['clients']} clients on after×2: cross-replica p99 under 25 ms | "
        f"{percentile(live['publish'], 0.99):.1f} ms (p50 {percentile(live['publish'], 0.5):.1f} ms), "
        f"{live['deliveries_per_s']:.0f} deliveries/s |",
        f"| a 50 MB upload through after/ grows the replica by at most 16 MB | {growth:.1f} MiB "
        f"({next(iter(results['uploads']))}, all received and parsed before the 413) |",
        f"| CPU per request does not grow with replicas (after×2 / after×1) | "
        f"{ratio_of(scale['after-1'], scale['after-2'], 'cpu_ms_per_request'):.2f} |",
    ]


def report(results: dict, settings: Settings, command: str, wall: float) -> str:
    cost, counts = results["cost"], results["counts"]
    lines = [
        "# Benchmarks: what statelessness costs",
        "",
        "Written by `" + command + "` (bench/run.py); every figure below comes from one run on one machine.",
        f"It took {wall:.0f} s on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "The machine is shared and small: absolute figures are noisy. What to read are the **ratios**",
        "after/before, measured interleaved in the same run (each path alternates between the trees, the",
        "order swapped every round, and the ratio is the median of the per-round ratios), so a slower",
        "minute slows both sides alike.",
        "",
        "## At a glance",
        "",
        "| target (issue 8) | measured here |",
        "|---|---|",
        *glance(results),
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in versions().items()],
        "",
        "## Request cost: one replica of each tree",
        "",
        f"wrk, 1 thread, {settings.connections} connections, {settings.seconds} s per run ({2 * settings.seconds}"
        f" s for login), {settings.rounds} round(s), straight to one replica of each (nginx would add the",
        "same to both; after/'s second replica stays idle). Throughput in requests/s, latency in ms, each",
        "the median over the rounds. "
        + (
            "The replica being measured has a core of its own; wrk, Redis, the S3 server, nginx and the idle "
            "replica share the other, as if the shared services ran on machines of their own (on one core "
            "they would wait for each other's time slices, and every Redis round trip with them)."
            if results["pinned"]
            else "Everything shares one core."
        ),
        "*CPU ms per request* is the replica's own CPU time (user + system, /proc/<pid>/stat) over the",
        "requests it served: the steadiest figure on a busy machine, since it does not count time spent",
        "waiting for a core. SQL and Redis: what one request makes (bench/counts.py, Django's",
        "CaptureQueriesContext and Redis INFO commandstats).",
        "",
        "| path | before req/s | after req/s | before p50 | after p50 | before p99 | after p99 "
        "| **p50 after/before** | p99 after/before | req/s after/before | CPU ms per request before / after "
        "| **CPU after/before** | SQL before / after | Redis before / after |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for path, (label, _) in PATHS.items():
        b, a = cost[path]["before"], cost[path]["after"]
        cb, ca = counts["before"][path], counts["after"][path]
        commands = ", ".join(f"{name} ×{calls}" for name, calls in ca["commands"].items()) or "none"
        lines.append(
            f"| {label} | {median_of(b, 'rps'):.0f} | {median_of(a, 'rps'):.0f} "
            f"| {ms(median_of(b, 'p50'))} | {ms(median_of(a, 'p50'))} "
            f"| {ms(median_of(b, 'p99'))} | {ms(median_of(a, 'p99'))} "
            f"| **{ratio_of(b, a, 'p50'):.2f}** | {ratio_of(b, a, 'p99'):.2f} | {ratio_of(b, a, 'rps'):.2f} "
            f"| {median_of(b, 'cpu_ms_per_request'):.2f} / {median_of(a, 'cpu_ms_per_request'):.2f} "
            f"| **{ratio_of(b, a, 'cpu_ms_per_request'):.2f}** "
            f"| {cb['sql']} / {ca['sql']} | {cb['redis']} / {ca['redis']} ({commands}) |"
        )
    live = results["live"]
    if ratio_of(cost["product"]["before"], cost["product"]["after"], "p50") > 2:
        lines += [
            "",
            "**Found by this benchmark:** the product page (like every page that shows a picture) asks the",
            "S3 storage for a URL. django-storages keeps one boto3 client per thread (`threading.local`), and Django",
            "under ASGI runs each request's view in a thread of its own, so each such page creates a boto3 client",
            "first: 75 to 200 ms on this machine, against under 1 ms for a client already made",
            "([jschneier/django-storages#1472](https://github.com/jschneier/django-storages/issues/1472), open).",
            "It is a cost of where after/ keeps its files, and one client per process would remove it; the",
            "table shows it as it is until that is fixed.",
        ]
    lines += [
        "",
        "Target: p50 after/before at most 1.10 on every path; each Redis round trip costs about 0.04 ms on",
        "loopback, so a gap well above that is Python work around the round trip (redis-py and",
        "django-redis building the command and parsing the reply, pickling the session), not the network.",
        "before/ makes no Redis command: its sessions are files on the replica's disk, its tokens",
        "and rate-limit counters live in the process. after/ reads the session from Redis on every page",
        "(GET), writes it when it changes (SETEX), checks an API token's revocation (GET), and on login",
        "counts the attempt for the rate limit.",
        "",
        "Under Django's ASGI handler each request runs its view in a thread of its own, so a round trip",
        "costs more than its time on the wire: the thread blocks, hands the GIL to the others and waits for",
        "it back. That shows most on the cheapest path, the API read (one SQL query in both trees), where",
        "the revocation check is all after/ adds besides checking the token's signature: the price of a",
        "revocation every replica honours at once.",
        "",
        "Python's garbage collector, in a process of each tree that has served each path once",
        "(bench/counts.py): a full collection walks every object the collector tracks, and the replica",
        "serves nothing meanwhile; under load one comes every few seconds. Both trees build what their",
        "first requests would at start and freeze it (`gc.freeze()` in config/asgi.py), so collections",
        "skip it. after/ has more to freeze: redis-py, django-redis, SimpleJWT, and boto3's model of the",
        "S3 API. The last row unfreezes it all again, to show the pause each replica would otherwise take.",
        "",
        "| | before | after |",
        "|---|--:|--:|",
        *[
            f"| {label} | {fmt(results['gc']['before'][key])} | {fmt(results['gc']['after'][key])} |"
            for label, key, fmt in (
                ("objects frozen at start", "frozen", "{:,}".format),
                ("objects a full collection walks", "tracked", "{:,}".format),
                ("one full collection, ms", "full_ms", "{:.1f}".format),
                ("one full collection with nothing frozen, ms", "unfrozen_full_ms", "{:.1f}".format),
            )
        ],
        "",
        f"## Live updates: {live['clients']} WebSocket clients on after×2",
        "",
        "Half the clients on each replica, all watching one product. *Publish* is what a replica does after",
        "a commit (a message on the Redis pub/sub channel layer), timed from the publish to each client;",
        "*staff change* is the whole story, timed from sending staff's stock change to replica B until each",
        "client, on either replica, has the new figure (so it includes that request). Messages go one at a",
        "time, each once every client has the last. The receiving clients run in the bench's own event loop",
        "(one task per socket, timestamping each message as it arrives), so its time to read "
        f"{live['clients']} sockets is part of every figure.",
        "",
        "| messages | deliveries | p50 ms | p99 ms |",
        "|---|--:|--:|--:|",
        f"| publish → every client | {len(live['publish'])} | {ms(percentile(live['publish'], 0.5))} "
        f"| {ms(percentile(live['publish'], 0.99))} |",
        f"| staff change on B → every client | {len(live['staff'])} | {ms(percentile(live['staff'], 0.5))} "
        f"| {ms(percentile(live['staff'], 0.99))} |",
        "",
        f"Throughput: {live['burst_messages']} messages published back to back reached all {live['clients']}"
        f" clients at **{live['deliveries_per_s']:.0f} deliveries/s**. Target: p99 under 25 ms on loopback.",
        "",
        "Fan-out: the same publish to audiences of other sizes, half on each replica. The first row is the",
        "hop itself (Redis pub/sub to each replica, one socket each); the rest is each replica writing to",
        "its own sockets one after the other, and the clients reading them, which grows with the audience",
        "per replica, not with Redis.",
        "",
        "Channels' consumers close stale database connections before every message, in a worker thread,",
        "so a fan-out queued each page's update behind that one thread. Both trees' consumers skip it",
        "(`live/consumers.py`: they reach the database only through `database_sync_to_async`, which does",
        "the same itself). Measured with this benchmark before and after that change, on 100 clients: p99",
        "16–17 ms became 8–10 ms, and deliveries per second doubled.",
        "",
        "| clients (per replica) | deliveries | p50 ms | p99 ms |",
        "|---|--:|--:|--:|",
        *[
            f"| {clients} ({clients // 2}) | {len(latencies)} | {ms(percentile(latencies, 0.5))} "
            f"| {ms(percentile(latencies, 0.99))} |"
            for clients, latencies in live["fan_out"].items()
        ],
        "",
        "## Uploads: replica memory and throughput",
        "",
        "The shop refuses pictures over 5 MB with 413, and that limit stays. A 50 MB upload still shows",
        "whether a replica buffers what it receives: under ASGI Django reads the whole body before the view",
        "runs (into a temporary file past 2.5 MB), and the CSRF check parses the multipart form (its file",
        "part streamed to a temporary file too), so all 50 MB cross the replica before the 413. The 4.5 MB",
        "picture is the largest path that stores something: it is read, decoded and re-encoded in memory",
        "(by design: Pillow validates it), then written to the replica's disk (before/) or S3 (after/).",
        "Memory growth is the replica's peak RSS during the request minus its RSS before (VmHWM, reset",
        "through /proc/<pid>/clear_refs); throughput is the upload's size over its request time. boto3 puts",
        "the same bytes straight into the same S3 server, for comparison.",
        "",
        "| upload | sent to: answer | MB/s (median) | RSS growth, MiB (max) |",
        "|---|---|--:|--:|",
    ]
    for label, by_target in results["uploads"].items():
        for target, runs in by_target.items():
            growth = f"{max(run['growth_mb'] for run in runs):.1f}" if "growth_mb" in runs[0] else "n/a"
            lines.append(f"| {label} | {target} | {median_of(runs, 'mb_per_s'):.1f} | {growth} |")
    scale = results["scale"]
    lines += [
        "",
        "Target: a 50 MB upload through after/ grows the replica's memory by at most 16 MB.",
        "",
        "## Scale-out: the same load on after×1 and after×2",
        "",
        "The logged-in cart page (it shows no picture) through nginx,",
        f"wrk with {settings.connections * 2} connections, {settings.seconds} s per run, {settings.rounds} round(s).",
        "CPU is user + system seconds from /proc/<pid>/stat, per replica, per run.",
        "On two cores shared with wrk, nginx and Redis, a second replica cannot double throughput; what",
        "should hold is the CPU each request costs. CPU seconds themselves grow when processes contend for",
        "two cores, so read this ratio over several runs.",
        "",
        "| topology | req/s | p50 ms | p99 ms | CPU s per replica (last run) | CPU ms per request |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, runs in scale.items():
        cpu = " + ".join(f"{seconds:.2f}" for seconds in runs[-1]["cpu"])
        lines.append(
            f"| {name} | {median_of(runs, 'rps'):.0f} | {ms(median_of(runs, 'p50'))} | {ms(median_of(runs, 'p99'))} "
            f"| {cpu} | {median_of(runs, 'cpu_ms_per_request'):.2f} |"
        )
    one, two = scale["after-1"], scale["after-2"]
    lines += [
        "",
        f"CPU per request after×2 / after×1: **{ratio_of(one, two, 'cpu_ms_per_request'):.2f}**.",
        "",
        "## Run it",
        "",
        "```sh",
        "make bench         # this file, in about five minutes",
        "make bench-smoke   # every benchmark for a second or so, to .results/bench-smoke.md (part of make test)",
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="every benchmark, briefly: checks that they run")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    settings = SMOKE if args.smoke else FULL
    command = "make bench-smoke" if args.smoke else "make bench"
    started = time.monotonic()
    shops: list[Shop] = []
    try:
        # In this thread, one after the other: tests/topology.py ties each process's life to the thread
        # that started it (PR_SET_PDEATHSIG). after/ runs on two replicas: request cost and uploads address
        # its first replica directly, as they do before/'s only one; scale-out scales it in and out again.
        for name, tree, replicas in (("before-1", "before", 1), ("after-2", "after", 2)):
            shop = Shop(name, Topology(tree, replicas, database_url=os.environ.get("DATABASE_URL")).start())
            shops.append(shop)
            shop.prepare()
            print(f"[{time.monotonic() - started:.0f} s] {name} is up: {shop.topology.url}", flush=True)
        before, after = shops
        counting = {shop.topology.tree: (shop, shop.start_counting()) for shop in shops}
        results = {"counts": {tree: shop.counts(process) for tree, (shop, process) in counting.items()}}
        results["gc"] = {shop.topology.tree: shop.gc for shop in shops}
        print(f"[{time.monotonic() - started:.0f} s] request cost (wrk):", flush=True)
        results["pinned"] = pinned(shops)
        try:
            results["cost"] = request_cost(before, after, settings)
        finally:
            unpinned(shops)
        print(f"[{time.monotonic() - started:.0f} s] uploads:", flush=True)
        results["uploads"] = uploads([before, after], settings)
        print(f"[{time.monotonic() - started:.0f} s] scale-out (wrk through nginx):", flush=True)
        results["scale"] = scale_out(after, settings)
        print(f"[{time.monotonic() - started:.0f} s] live updates:", flush=True)
        # Last: it starts threads (asyncio.to_thread), and no process may be started after that.
        results["live"] = asyncio.run(live_updates(after, settings))
    finally:
        for shop in shops:
            shop.topology.stop()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report(results, settings, command, time.monotonic() - started))
    print(f"written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
