"""Load with wrk: the request cost of each hot path on one replica of each tree, and scale-out through nginx.

`Shop` prepares a topology (staff, a customer, a product) and builds each path's request; `request_cost`
runs them on before/ and after/ in interleaved rounds; `scale_out` sends the cart page through nginx on
after/ scaled to two replicas and to one. CPU time is each replica's own, from /proc/<pid>/stat.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

from harness import CUSTOMER, ROOT, ApiClient, Topology, Visitor

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


def summary(figures: dict) -> str:
    text = f"{figures['rps']:8.1f} req/s  p50 {figures['p50']:7.2f} ms  p99 {figures['p99']:7.2f} ms"
    return text + (f"  cpu {figures['cpu_ms_per_request']:.2f} ms/req" if "cpu_ms_per_request" in figures else "")


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

    def start_counting(self, *, smoke: bool = False) -> subprocess.Popen:
        """bench/counts.py in this tree, beside the running topology: SQL, Redis, the garbage collector and
        the API read's parts (briefly in a smoke run)."""
        env = {
            **os.environ,
            **self.topology.environment(),
            "INSTANCE_DIR": str(self.topology.workdir / "bench-counts"),
            "REPLICA_NAME": "bench-counts",
            # INFO commandstats is for operators: the replicas' Redis users may not run it.
            "REDIS_ADMIN_URL": self.topology.redis_admin_url,
            **({"BENCH_SMOKE": "1"} if smoke else {}),
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
        self.api_read_parts = counted.pop("api_read_parts")
        for path, figures in counted.items():
            if figures["status"] != PATHS[path][1]:
                raise RuntimeError(f"{self.name} {path} in-process: {figures['status']}, not {PATHS[path][1]}")
        return counted


def request_cost(before: Shop, after: Shop, *, rounds: int, seconds: int, connections: int) -> dict:
    """Each path on before-1 and after-1 in turn, round after round, the order swapped every round."""
    runs: dict[str, dict[str, list[dict]]] = {path: {"before": [], "after": []} for path in PATHS}
    for shop in (before, after):
        for path in PATHS:
            shop.check(path)
    for round_number in range(rounds):
        for path in PATHS:
            pair = (before, after) if round_number % 2 == 0 else (after, before)
            for shop in pair:
                # Login hashes the password (PBKDF2) on every request: give it longer to gather a sample,
                # and never under 4 s, since one login can take a second of a core on a slow machine, and
                # a run that ends before any answer has no figures (a smoke run's 1 s made 2 s, and none).
                run_seconds = max(seconds * 2, 4) if path == "login" else seconds
                pid = shop.topology.replica(0).pid
                cpu_before = cpu_seconds(pid)
                figures = wrk(shop.request(path), seconds=run_seconds, connections=connections)
                figures["cpu_ms_per_request"] = 1000 * (cpu_seconds(pid) - cpu_before) / figures["requests"]
                runs[path][shop.topology.tree].append(figures)
                print(f"  round {round_number + 1} {path:<9} {shop.topology.tree:<6} {summary(figures)}", flush=True)
    return runs


# -- CPU -------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc/<pid>/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def set_cpus(pid: int, cpus: set[int]) -> None:
    """Every thread of a process onto `cpus`; threads it starts later inherit them."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task.name), cpus)


def every_process(topologies: list[Topology]) -> list[int]:
    pids = [os.getpid()]
    for topology in topologies:
        pids += topology.pids()
    return pids


def pinned(topologies: list[Topology]) -> bool:
    """The benchmarked replicas on the last core, everything else (wrk, Redis, S3, nginx, the other
    replica) on the others, as if the shared services ran on machines of their own: a Redis round trip
    then costs a trip over loopback, not a wait for the core the replica is using. False on one core."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return False
    for pid in every_process(topologies):
        set_cpus(pid, set(cpus[:-1]))
    for topology in topologies:
        set_cpus(topology.replica(0).pid, {cpus[-1]})
    return True


def unpinned(topologies: list[Topology]) -> None:
    everything = set(range(os.cpu_count() or 1))
    for pid in every_process(topologies):
        set_cpus(pid, everything)


# -- scale-out -------------------------------------------------------------------------------------


def scale_out(shop: Shop, *, rounds: int, seconds: int, connections: int) -> dict:
    """The same wrk load through nginx on after's two replicas and, scaled in, on one; each replica's CPU seconds.

    Scaling the running topology (as an operator would) rather than starting a second one: the one that
    remains is the same process with the same warm caches. It ends on two replicas again.
    """
    topology = shop.topology
    runs: dict[str, list[dict]] = {"after-1": [], "after-2": []}
    for round_number in range(rounds):
        for count in (2, 1) if round_number % 2 == 0 else (1, 2):
            if len(topology.replicas) != count:
                topology.scale_to(count)
                # Discarded: the old nginx worker closes the connections it still holds after the reload.
                wrk(shop.request("cart_page", base=topology.url), seconds=1, connections=1, socket_errors_ok=True)
            pids = [replica.pid for replica in topology.replicas]
            cpu_before = [cpu_seconds(pid) for pid in pids]
            request = shop.request("cart_page", base=topology.url)
            figures = wrk(request, seconds=seconds, connections=connections)
            figures["cpu"] = [cpu_seconds(pid) - start for pid, start in zip(pids, cpu_before, strict=True)]
            figures["cpu_ms_per_request"] = 1000 * sum(figures["cpu"]) / figures["requests"]
            runs[f"after-{count}"].append(figures)
            cpu = ", ".join(f"{used:.2f}" for used in figures["cpu"])
            print(f"  round {round_number + 1} after-{count}   {summary(figures)}  cpu s {cpu}", flush=True)
    if len(topology.replicas) != 2:
        topology.scale_to(2)
    return runs
