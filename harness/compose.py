"""The shops under Docker Compose, already running: the suite's compose-* topologies.

`make compose-test` starts compose/compose.yaml with compose/compose.test.yaml, which publishes each
replica on an ephemeral port of 127.0.0.1 (nothing else does); this module finds those ports with
`docker compose ps`, so tests log in on replica A and read on replica B as they do locally. Deploys
are what a user types: `docker compose up -d --force-recreate` and `docker compose up -d --scale`.

python -m harness spread   # how many of 40 requests each replica served, per shop
"""

from __future__ import annotations

import collections
import json
import subprocess
from dataclasses import dataclass, field

import requests

from harness.local import ROOT
from harness.waiting import serves_only, wait_until

COMPOSE = [
    "docker",
    "compose",
    # The Redis users' passwords, which `make compose-up` / `make compose-test` wrote (compose/redis/acl.py).
    "--env-file",
    str(ROOT / "compose" / "secrets" / "redis.env"),
    "-f",
    str(ROOT / "compose" / "compose.yaml"),
    "-f",
    str(ROOT / "compose" / "compose.test.yaml"),
]
LOAD_BALANCER_PORTS = {"before": 8001, "after": 8002}


def compose(*args: str) -> str:
    result = subprocess.run([*COMPOSE, *args], capture_output=True, text=True, timeout=300)
    if result.returncode:
        raise RuntimeError(f"docker compose {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class ComposeReplica:
    name: str  # what X-Served-By says: the container's hostname
    container: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class ComposeTopology:
    """The running `<tree>-web` replicas of compose/compose.yaml behind `<tree>-lb`."""

    tree: str
    name: str = ""
    replicas: list[ComposeReplica] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.name or f"compose-{self.tree}-2"

    @property
    def service(self) -> str:
        return f"{self.tree}-web"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{LOAD_BALANCER_PORTS[self.tree]}"

    def start(self) -> ComposeTopology:
        wait_until(
            lambda: requests.get(f"{self.url}/healthz", timeout=2).ok,
            what=f"{self.tree} load balancer on {self.url} (start the stacks with `make compose-up`)",
            deadline=20,
        )
        self._find_replicas()
        return self

    def stop(self) -> None:
        """The stacks outlive the suite: `make compose-test` takes them down."""

    def __enter__(self) -> ComposeTopology:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def replica(self, index: int) -> ComposeReplica:
        return self.replicas[index % len(self.replicas)]

    def redeploy(self) -> None:
        """Replace every replica by a new container (and a new disk), as `up --force-recreate` does."""
        compose("up", "-d", "--no-deps", "--force-recreate", "--wait", self.service)
        self._find_replicas()
        self.wait_for_load_balancer()

    def scale_to(self, count: int) -> None:
        compose("up", "-d", "--no-deps", "--no-recreate", "--wait", "--scale", f"{self.service}={count}", self.service)
        self._find_replicas()
        self.wait_for_load_balancer()

    def _find_replicas(self) -> None:
        out = compose("ps", "--format", "json", self.service).strip()
        # Compose prints one JSON object per line (2.21 and later) or one JSON array (earlier).
        rows = json.loads(out) if out.startswith("[") else [json.loads(line) for line in out.splitlines()]
        replicas = []
        for row in sorted(rows, key=lambda r: int(r["Name"].rsplit("-", 1)[1])):
            port = next(p["PublishedPort"] for p in row["Publishers"] if p["TargetPort"] == 8000 and p["PublishedPort"])
            served_by = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).headers["X-Served-By"]
            replicas.append(ComposeReplica(served_by, row["Name"], port))
        if not replicas:
            raise RuntimeError(f"no {self.service} container is running")
        self.replicas = replicas

    def wait_for_load_balancer(self) -> None:
        """nginx looks the replicas' name up again every 5 s: wait until it sends traffic to these only."""
        serves_only(self.url, {r.name for r in self.replicas}, what=f"{self.tree} load balancer after the deploy")


def spread(requests_per_shop: int = 40) -> int:
    """Print how many requests each replica served through each load balancer; fail unless all did."""
    failed = 0
    for tree in LOAD_BALANCER_PORTS:
        topology = ComposeTopology(tree).start()
        counts = collections.Counter(
            requests.get(f"{topology.url}/healthz", timeout=5).headers["X-Served-By"] for _ in range(requests_per_shop)
        )
        print(f"{tree} on {topology.url}: " + ", ".join(f"{r.name} {counts[r.name]}" for r in topology.replicas))
        if set(counts) != {r.name for r in topology.replicas}:
            print(f"  not every {tree} replica was reached: {dict(counts)}")
            failed = 1
    return failed
