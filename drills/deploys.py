"""Deploys on Docker Swarm under a bounded load of real journeys, both trees (make swarm-test runs it).

    python -m drills.deploys [after] [before] [--doc]   # the stacks up with --test ports; --doc: docs/07 too

Rows: a rolling update to a new image version, a failed rollout that Swarm rolls back by itself, and
scale-out and scale-in 2 → 4 → 2. During each, logged-in visitors read their orders, buyers fill a cart
and check out with their checkout key (resent once, blindly, on a failure), and API clients read
`/api/me` with their token, all through nginx. Counted: requests, failed requests (5xx or connection
errors), sessions lost (sent to log in), tokens refused (401), orders lost or doubled, and the versions
users saw (X-App-Version). Not yet here: blue/green, canary, live pages on WebSockets.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from harness import ApiClient, SwarmTopology, Visitor, wait_until
from harness.local import ROOT
from harness.pages import write_block
from harness.swarm import docker

VISITORS = 2
BUYERS = 2
API_CLIENTS = 1
NEW_VERSION = "2"
BROKEN_VERSION = "3-broken"
RESULTS = ROOT / ".results" / "deploys.md"
DOC = ROOT / "docs" / "07-deploys.md"


@dataclass
class Figures:
    requests: int = 0
    failed: int = 0
    sessions_lost: int = 0
    tokens_refused: int = 0
    orders_lost: int = 0
    orders_doubled: int = 0
    versions: Counter = field(default_factory=Counter)
    took: float = 0.0
    note: str = ""


class DeployLoad:
    """Visitors, buyers and API clients in loops through nginx until stopped (at most `limit` s)."""

    def __init__(self, topology, product_id: int, limit: float = 400.0):
        self.topology, self.product_id, self.limit = topology, product_id, limit
        self.figures = Figures()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.visitors = [self._signed_up() for _ in range(VISITORS)]
        self.buyers = [self._signed_up() for _ in range(BUYERS)]
        self.api_clients = []
        for _ in range(API_CLIENTS):
            username = Visitor(topology.url).sign_up()
            self.api_clients.append(ApiClient(topology.url).log_in(username))
        self.checkouts = [0] * BUYERS
        self.orders_at_start = [len(b.order_ids()) for b in self.buyers]
        loops = [(self._visit, v) for v in self.visitors] + [(self._buy, i) for i in range(BUYERS)]
        loops += [(self._call_api, c) for c in self.api_clients]
        self._threads = [threading.Thread(target=f, args=(a,), daemon=True) for f, a in loops]

    def _signed_up(self) -> Visitor:
        visitor = Visitor(self.topology.url)
        visitor.sign_up()
        return visitor

    def _count(self, response: requests.Response | None) -> requests.Response | None:
        with self.lock:
            self.figures.requests += 1
            if response is None or response.status_code >= 500:
                self.figures.failed += 1
            else:
                self.figures.versions[response.headers.get("X-App-Version", "?")] += 1
                if "/accounts/login/" in response.headers.get("Location", ""):
                    self.figures.sessions_lost += 1
                if response.status_code == 401:
                    self.figures.tokens_refused += 1
        return response

    def _send(self, call) -> requests.Response | None:
        try:
            return self._count(call())
        except requests.RequestException:
            return self._count(None)

    def _running(self, end: float) -> bool:
        return not self._stop.is_set() and time.monotonic() < end

    def _visit(self, visitor: Visitor) -> None:
        end = time.monotonic() + self.limit
        while self._running(end):
            self._send(lambda: visitor.get("/orders/", timeout=15, allow_redirects=False))

    def _call_api(self, client: ApiClient) -> None:
        end = time.monotonic() + self.limit
        while self._running(end):
            self._send(lambda: client.me())

    def _buy(self, index: int) -> None:
        buyer, end = self.buyers[index], time.monotonic() + self.limit
        while self._running(end):
            if self._send(lambda: buyer.add_to_cart(self.product_id, 1)) is None:
                continue
            try:
                key = buyer.checkout_key()
            except requests.RequestException:
                self._count(None)
                continue
            if key is None:
                continue
            form = {"checkout_key": key}
            response = self._send(lambda f=form: buyer.post("/checkout/", f))
            if response is None or response.status_code != 302:  # resent blindly with the same key
                response = self._send(lambda f=form: buyer.post("/checkout/", f))
            if (
                response is not None
                and response.status_code == 302
                and "/accounts/login/" not in response.headers.get("Location", "")
            ):
                self.checkouts[index] += 1

    def __enter__(self) -> DeployLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        for index, buyer in enumerate(self.buyers):
            placed = len(buyer.order_ids()) - self.orders_at_start[index]
            self.figures.orders_lost += max(0, self.checkouts[index] - placed)
            self.figures.orders_doubled += max(0, placed - self.checkouts[index])


def service_image(topology) -> str:
    spec = json.loads(docker("service", "inspect", topology.service))[0]["Spec"]
    return spec["TaskTemplate"]["ContainerSpec"]["Image"].split("@")[0]


def under_load(topology, product_id: int, action) -> Figures:
    with DeployLoad(topology, product_id) as load:
        wait_until(lambda: load.figures.requests > 30, what="load running", deadline=60)
        started = time.monotonic()
        note = action(load)
        load.figures.took = time.monotonic() - started
        mark = load.figures.requests
        wait_until(lambda: load.figures.requests > mark + 30, what="load after the deploy", deadline=60)
    load.figures.note = note or ""
    return load.figures


def rolling_update(topology) -> str:
    """`docker service update --image` to the new version: one task at a time, each healthy first."""
    image = f"stateless-shop/{topology.tree}:{NEW_VERSION}"
    docker("service", "update", "--quiet", "--detach=false", "--image", image, topology.service, timeout=600)
    topology._find_replicas()
    return f"now {service_image(topology)}"


def failed_rollout(topology) -> str:
    """A version whose readiness never passes (its database is nowhere): Swarm rolls it back by itself."""
    before = service_image(topology)
    result = subprocess.run(
        [
            "docker", "service", "update", "--detach=false",
            "--env-add", f"APP_VERSION={BROKEN_VERSION}",
            "--env-add", "DATABASE_URL=postgres://shop:shop@nowhere.invalid:5432/shop",
            topology.service,
        ],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    spec = json.loads(docker("service", "inspect", topology.service))[0]
    state = spec.get("UpdateStatus", {}).get("State", "?")
    env = spec["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env", [])
    rolled_back = state == "rollback_completed" and not any(BROKEN_VERSION in e for e in env)
    topology._find_replicas()
    return f"update state {state}; rolled back: {rolled_back}; image still {before}; exit {result.returncode}"


def scale_out_and_in(topology, visitors_before: list[Visitor]) -> str:
    topology.scale_to(4)
    known = sum(v.at(r).signed_in_as() is not None for v in visitors_before for r in topology.replicas)
    checked = len(visitors_before) * len(topology.replicas)
    topology.scale_to(2)
    return f"users who logged in before, known on each of the 4 tasks at once: {known}/{checked}"


def drill(tree: str) -> list[tuple[str, Figures]]:
    topology = SwarmTopology(tree).start()
    # On one replica: before/'s staff session would not survive nginx's round-robin.
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=100000)
    early = [Visitor(topology.url) for _ in range(3)]
    for visitor in early:
        visitor.sign_up()
    rows = [
        ("rolling update to version 2", under_load(topology, product_id, lambda load: rolling_update(topology))),
        ("failed rollout, rolled back", under_load(topology, product_id, lambda load: failed_rollout(topology))),
        ("scale 2 → 4 → 2", under_load(topology, product_id, lambda load: scale_out_and_in(topology, early))),
    ]
    # Back to the version the stack was deployed with, for whatever runs next.
    docker(
        "service", "update", "--quiet", "--detach=false", "--image", f"stateless-shop/{tree}:latest", topology.service
    )
    return rows


def markdown(results: dict[str, list[tuple[str, Figures]]]) -> str:
    lines = [
        "| tree | row | requests | failed | sessions lost | tokens refused | orders lost | orders doubled "
        "| versions seen | took | figures |",
        "|------|-----|---------:|-------:|--------------:|---------------:|------------:|---------------:"
        "|---------------|-----:|---------|",
    ]
    for tree, rows in results.items():
        for name, f in rows:
            versions = ", ".join(f"{v}×{n}" for v, n in sorted(f.versions.items()))
            lines.append(
                f"| {tree}/ | {name} | {f.requests} | {f.failed} | {f.sessions_lost} | {f.tokens_refused} "
                f"| {f.orders_lost} | {f.orders_doubled} | {versions} | {f.took:.0f}s | {f.note} |"
            )
    return "\n".join(lines)


def write_doc(table: str) -> None:
    """The table into docs/07-deploys.md's generated block (harness/pages.py)."""
    write_block(DOC, "deploys", table)


def main(trees=("after", "before"), doc: bool = False) -> int:
    results = {tree: drill(tree) for tree in trees}
    table = markdown(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table + "\n")
    print(table)
    if doc:
        write_doc(table)
    after = results.get("after", [])
    missed = [
        name
        for name, f in after
        if f.failed or f.sessions_lost or f.tokens_refused or f.orders_lost or f.orders_doubled
        or BROKEN_VERSION in f.versions
    ]  # fmt: skip
    if missed:
        print(f"after/ missed its targets on: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # No `choices`: with nargs="*" argparse checks the empty default against them, and refuses it.
    parser.add_argument("trees", nargs="*", metavar="after|before", help="default: after, then before")
    parser.add_argument("--doc", action="store_true", help="also write the table into docs/07-deploys.md")
    args = parser.parse_args()
    if set(args.trees) - {"after", "before"}:
        parser.error(f"trees are after and before, not {args.trees}")
    sys.exit(main(tuple(args.trees or ["after", "before"]), doc=args.doc))
