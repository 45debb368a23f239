"""Deploys under a bounded load of real journeys, both trees: on Docker Swarm (make swarm-test runs it),
and the one deploy plain Docker Compose has (make compose-test runs that row).

    python -m drills.deploys [after] [before] [--doc]   # the Swarm stacks up with --test; --doc: docs/07 too
    python -m drills.deploys --compose [--doc]           # the Compose stacks up (make compose-up)

Rows on Swarm: a rolling update to a new image version, a failed rollout that Swarm rolls back by itself,
scale-out and scale-in 2 → 4 → 2, blue/green (a second colour started alongside, nginx switched to it in
one reload and back again) and a canary (10% of requests to the new colour, then promoted to 100%).
Under Compose: `docker compose up -d --force-recreate`, which replaces every replica at once.

During each, through nginx the whole time: logged-in visitors read their orders, buyers fill a cart and
check out with their checkout key (resent once, blindly, on a failure), API clients read `/api/me`
with their token, and product pages listen on WebSockets while staff change the stock. Counted:
requests, failed requests (5xx or connection errors), requests resent (reset unanswered on a kept-alive
connection as nginx reloads, sent again once on a fresh one), sessions lost (sent to log in), tokens refused
(401), orders lost or doubled, the versions users saw (X-App-Version) and how often one user's next
request went to the other version, pages reconnected, live updates missed by a page that was connected
all along, and pages not on the final stock at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from drills.live import LiveClient
from harness import ApiClient, ComposeTopology, SwarmTopology, Visitor, settled, wait_until
from harness.local import ROOT
from harness.pages import write_block
from harness.swarm import docker

VISITORS = 2
BUYERS = 2
API_CLIENTS = 1
PAGES = 6
NEW_VERSION = "2"
BROKEN_VERSION = "3-broken"
CANARY_SHARE = 10  # per cent
V2_FIELD = "in_stock"  # what drills/version-2.patch adds to the live stock message
# A change published this close to a page's socket closing may be lost with it; the page reloads the
# figure when it reconnects, so it counts as resynced, not missed.
CLOSING_GRACE = 1.0
RESULTS = ROOT / ".results"
DOC = ROOT / "docs" / "07-deploys.md"
VERSION_2_PATCH = ROOT / "drills" / "version-2.patch"


@dataclass
class Figures:
    requests: int = 0
    failed: int = 0
    sessions_lost: int = 0
    tokens_refused: int = 0
    orders_lost: int = 0
    orders_doubled: int = 0
    versions: Counter = field(default_factory=Counter)
    resent: int = 0  # requests reset unanswered and sent again once on a fresh connection
    crossings: int = 0  # a user's request answered by another version than their previous one
    live_messages: int = 0  # shown by the pages
    messages_across: int = 0  # of those, made by the other version than the one behind the page's socket
    pages_reconnected: int = 0
    updates_missed: int = 0  # by a page connected from before the change until after it
    pages_stale: int = 0
    stock_changes: int = 0
    stock_changes_refused: int = 0
    took: float = 0.0
    note: str = ""
    # What failed and what the drill did, each "+seconds since the load began: what", for the log.
    failures: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    @property
    def missed_targets(self) -> bool:
        return bool(
            self.failed or self.sessions_lost or self.tokens_refused or self.orders_lost or self.orders_doubled
            or self.updates_missed or self.pages_stale or self.stock_changes_refused or BROKEN_VERSION in self.versions
        )  # fmt: skip


class DeployLoad:
    """Visitors, buyers, API clients and live pages through nginx until stopped (at most `limit` s)."""

    def __init__(self, topology, product_id: int, live_product_id: int, limit: float = 500.0):
        self.topology, self.product_id, self.live_product_id, self.limit = topology, product_id, live_product_id, limit
        self.figures = Figures()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._last_version: dict[int, str] = {}
        self.began = time.monotonic()
        self.visitors = [self._signed_up() for _ in range(VISITORS)]
        self.buyers = [self._signed_up() for _ in range(BUYERS)]
        self.api_clients = []
        for _ in range(API_CLIENTS):
            username = Visitor(topology.url).sign_up()
            self.api_clients.append(ApiClient(topology.url).log_in(username))
        self.staff = Visitor(topology.url).log_in_as_staff()
        self.checkouts = [0] * BUYERS
        self.orders_at_start = [len(b.order_ids()) for b in self.buyers]
        self.pages = [LiveClient(live_product_id, topology.url, seed=i) for i in range(PAGES)]
        self.published: list[tuple[int, float, float]] = []  # (stock, sent at, answered at)
        loops = [(self._visit, v) for v in self.visitors] + [(self._buy, i) for i in range(BUYERS)]
        loops += [(self._call_api, c) for c in self.api_clients] + [(self._change_stock, None)]
        self._threads = [threading.Thread(target=f, args=(a,), daemon=True) for f, a in loops]

    def _signed_up(self) -> Visitor:
        visitor = Visitor(self.topology.url)
        visitor.sign_up()
        return visitor

    def _since(self) -> str:
        return f"+{time.monotonic() - self.began:.2f}s"

    def mark(self, event: str) -> None:
        with self.lock:
            self.figures.events.append(f"{self._since()}: {event}")

    def _count(self, response: requests.Response | None, who=None, error: Exception | None = None):
        with self.lock:
            self.figures.requests += 1
            if response is None or response.status_code >= 500:
                self.figures.failed += 1
                what = f"{error!r}" if response is None else f"{response.status_code} {response.url}"
                self.figures.failures.append(f"{self._since()}: {what}")
            else:
                version = response.headers.get("X-App-Version", "?")
                self.figures.versions[version] += 1
                if who is not None:
                    last = self._last_version.get(id(who))
                    self.figures.crossings += last is not None and last != version
                    self._last_version[id(who)] = version
                if "/accounts/login/" in response.headers.get("Location", ""):
                    self.figures.sessions_lost += 1
                if response.status_code == 401:
                    self.figures.tokens_refused += 1
        return response

    def _resent_once(self, call) -> requests.Response:
        """`call()`, sent again once on a fresh connection if the first got no answer at all. nginx's old
        workers close their idle keep-alive connections at a reload, and a request sent on one just then
        is reset unanswered, never read by nginx (nginx/nginx#437; keepalive_min_timeout, #456, narrows
        it). Go's client resends an idempotent request then; requests resends none. Counted as resent."""
        try:
            return call()
        except requests.ConnectionError as error:
            with self.lock:
                self.figures.resent += 1
                self.figures.events.append(f"{self._since()}: resent after {error!r}")
            return call()  # urllib3 dropped the reset connection: this goes on a new one

    def _send(self, call, who=None) -> requests.Response | None:
        try:
            return self._count(self._resent_once(call), who)
        except requests.RequestException as error:
            return self._count(None, error=error)

    def _running(self, end: float) -> bool:
        return not self._stop.is_set() and time.monotonic() < end

    def _visit(self, visitor: Visitor) -> None:
        end = time.monotonic() + self.limit
        while self._running(end):
            self._send(lambda: visitor.get("/orders/", timeout=15, allow_redirects=False), visitor)

    def _call_api(self, client: ApiClient) -> None:
        end = time.monotonic() + self.limit
        while self._running(end):
            self._send(lambda: client.me(), client)

    def _buy(self, index: int) -> None:
        buyer, end = self.buyers[index], time.monotonic() + self.limit
        while self._running(end):
            if self._send(lambda: buyer.add_to_cart(self.product_id, 1), buyer) is None:
                continue
            try:
                key = self._resent_once(buyer.checkout_key)
            except requests.RequestException as error:
                self._count(None, error=error)
                continue
            if key is None:
                continue
            form = {"checkout_key": key}
            response = self._send(lambda f=form: buyer.post("/checkout/", f), buyer)
            if response is None or response.status_code != 302:  # resent blindly with the same key
                response = self._send(lambda f=form: buyer.post("/checkout/", f), buyer)
            if (
                response is not None
                and response.status_code == 302
                and "/accounts/login/" not in response.headers.get("Location", "")
            ):
                self.checkouts[index] += 1

    def _change_stock(self, _) -> None:
        """Staff set the live product's stock to a new figure about twice a second, as long as the load runs."""
        end, value = time.monotonic() + self.limit, 1000
        while self._running(end):
            value += 1
            sent = time.monotonic()
            try:
                response = self._resent_once(lambda v=value: self.staff.set_stock(self.live_product_id, v))
            except requests.RequestException:
                response = None
            answered = time.monotonic()
            with self.lock:
                self.figures.stock_changes += 1
                changed = response is not None and response.status_code == 302
                if not changed or "/accounts/login/" in response.headers.get("Location", ""):
                    self.figures.stock_changes_refused += 1
                else:
                    self.published.append((value, sent, answered))
            self._stop.wait(0.5)

    def __enter__(self) -> DeployLoad:
        for page in self.pages:
            page.open()
            page.follow()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        final = self.published[-1][0] if self.published else None
        # The last figure reaches every page, or the page has not reconnected: a short poll, then count.
        settled(lambda: all(p.values[-1:] == [final] for p in self.pages), what="pages on the final stock", deadline=5)
        for page in self.pages:
            page.stop()
        for index, buyer in enumerate(self.buyers):
            placed = len(buyer.order_ids()) - self.orders_at_start[index]
            self.figures.orders_lost += max(0, self.checkouts[index] - placed)
            self.figures.orders_doubled += max(0, placed - self.checkouts[index])
        f = self.figures
        f.pages_reconnected = sum(p.closes for p in self.pages)
        f.pages_stale = sum(p.values[-1:] != [final] for p in self.pages) if final is not None else 0
        f.updates_missed = sum(
            value not in page.values
            for value, sent, answered in self.published
            for page in self.pages
            if page.listening(sent, answered + CLOSING_GRACE)
        )
        for page in self.pages:
            f.versions.update({f"page {v}": n for v, n in page.versions.items()})
            for (version, keys), count in page.shapes.items():
                made_by = NEW_VERSION if V2_FIELD in keys else "1"
                f.live_messages += count
                f.messages_across += count * (version in ("1", NEW_VERSION) and made_by != version)


def service_image(topology) -> str:
    spec = json.loads(docker("service", "inspect", topology.service))[0]["Spec"]
    return spec["TaskTemplate"]["ContainerSpec"]["Image"].split("@")[0]


def under_load(topology, products: tuple[int, int], action) -> Figures:
    with DeployLoad(topology, *products) as load:
        wait_until(lambda: load.figures.requests > 30, what="load running", deadline=60)
        started = time.monotonic()
        note = action(load)
        load.figures.took = time.monotonic() - started
        mark = load.figures.requests
        wait_until(lambda: load.figures.requests > mark + 30, what="load after the deploy", deadline=60)
    load.figures.note = note or ""
    failures = load.figures.failures
    for line in failures[:10]:
        print(f"failed {line}", file=sys.stderr)
    if len(failures) > 10:
        print(f"... and {len(failures) - 10} more, the last {failures[-1]}", file=sys.stderr)
    if load.figures.failures:
        print("\n".join(["while:", *load.figures.events]), file=sys.stderr)
    return load.figures


def share(load: DeployLoad, version: str, since: Counter) -> tuple[float, int]:
    """The share of requests answered by `version` since the counts were `since`, and how many there were."""
    counts = snapshot(load) - since
    total = counts.total()
    return (100 * counts[version] / total if total else 0.0), total


def snapshot(load: DeployLoad) -> Counter:
    with load.lock:
        return Counter({v: n for v, n in load.figures.versions.items() if not v.startswith("page ")})


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


def blue_green(topology, load: DeployLoad) -> str:
    """Green (the new version, two tasks) beside blue; nginx to green in one reload; blue retired, so its live
    pages move to green; then the rollback: blue back, nginx to blue, green removed."""
    image = service_image(topology)
    load.mark("deploying green")
    green = topology.deploy_green(f"stateless-shop/{topology.tree}:{NEW_VERSION}", replicas=2)
    load.mark("nginx reloading to green")
    started = time.monotonic()
    topology.route(topology.green_backend)
    load.mark("nginx reloaded to green")
    switched = wait_until(lambda: serves_version(topology, NEW_VERSION), what="nginx on green", deadline=10) - started
    on_green, counted = share_while(load, NEW_VERSION)
    # nginx's old workers keep blue's WebSockets open: retiring blue closes them, and the pages reconnect.
    load.mark("retiring blue")
    docker("service", "scale", "--detach=false", f"{topology.service}=0", timeout=600)
    load.mark("blue retired")
    moved = wait_until(lambda: pages_on(load, NEW_VERSION), what="pages on green", deadline=60)
    docker("service", "update", "--quiet", "--detach=false", "--image", image, "--replicas", "2", topology.service)
    topology._find_replicas(2)
    load.mark("blue back; nginx reloading to blue")
    topology.route()
    load.mark("nginx reloaded to blue")
    wait_until(lambda: serves_version(topology, "1"), what="nginx back on blue", deadline=10)
    on_blue, counted_back = share_while(load, "1")
    load.mark("removing green")
    topology.remove_green()
    load.mark("green removed")
    back = wait_until(lambda: pages_on(load, "1"), what="pages back on blue", deadline=60)
    return (
        f"green: {len(green)} tasks of version {NEW_VERSION}; nginx on green {switched:.1f}s after the reload; "
        f"{on_green:.0f}% of the next {counted} requests on green; blue retired: {moved} pages moved to green; "
        f"rolled back: {on_blue:.0f}% of the next {counted_back} on blue, {back} pages back on blue"
    )


def share_while(load: DeployLoad, version: str, requests_: int = 60) -> tuple[float, int]:
    """The share of the next `requests_` requests (at least) that `version` answered, and how many there were."""
    since = snapshot(load)
    wait_until(lambda: (snapshot(load) - since).total() >= requests_, what=f"{requests_} requests", deadline=120)
    return share(load, version, since)


def pages_on(load: DeployLoad, version: str) -> int | None:
    """How many pages listen on `version`, once every page does."""
    connected = [page.socket.connection for page in load.pages if page.replica]
    versions = {c.response.headers.get("X-App-Version") for c in connected}
    return len(connected) if len(connected) == len(load.pages) and versions == {version} else None


def canary(topology, load: DeployLoad) -> str:
    """One green task takes CANARY_SHARE% of requests, drawn per request; then it is promoted to every request."""
    topology.deploy_green(f"stateless-shop/{topology.tree}:{NEW_VERSION}", replicas=1)
    load.mark("nginx reloading with the canary")
    topology.route(canary=f"{CANARY_SHARE}% {topology.green_backend};")
    load.mark("nginx reloaded with the canary")
    wait_until(lambda: serves_version(topology, "1", every=False), what="nginx with the canary", deadline=10)
    canary_share, counted = share_while(load, NEW_VERSION, 400)
    load.mark("nginx reloading to the promoted canary")
    topology.route(topology.green_backend)
    load.mark("nginx reloaded to the promoted canary")
    wait_until(lambda: serves_version(topology, NEW_VERSION), what="nginx on the promoted canary", deadline=10)
    promoted, counted_after = share_while(load, NEW_VERSION)
    return (
        f"canary: {canary_share:.1f}% of {counted} requests on version {NEW_VERSION} (aimed at {CANARY_SHARE}%); "
        f"promoted: {promoted:.0f}% of the next {counted_after}"
    )


def serves_version(topology, version: str, every: bool = True) -> float | None:
    """The monotonic time once ten fresh requests in a row are all answered by `version` (with `every`
    false: not all), else None."""
    versions = {requests.get(f"{topology.url}/healthz", timeout=5).headers.get("X-App-Version") for _ in range(10)}
    return time.monotonic() if (versions == {version}) == every else None


def at_version(topology, image: str) -> None:
    """The replicas on `image` again (outside the load), for the next row or whatever runs next."""
    if service_image(topology) != image:
        docker("service", "update", "--quiet", "--detach=false", "--image", image, topology.service, timeout=600)
        topology._find_replicas()


def products(topology) -> tuple[int, int]:
    # On one replica: before/'s staff session would not survive nginx's spreading.
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    return staff.create_product(stock=100000)[0], staff.create_product(stock=1000)[0]


def build_new_version(tree: str) -> str:
    """Version 2's image: the tree with drills/version-2.patch applied (a field added to the live stock
    message, which version 2's pages use when it is there), built as compose builds version 1."""
    image = f"stateless-shop/{tree}:{NEW_VERSION}"
    with tempfile.TemporaryDirectory(prefix="shop-version-2-") as context:
        for part in (tree, "stateless_checks"):
            shutil.copytree(ROOT / part, Path(context) / part, ignore=shutil.ignore_patterns("__pycache__", "var"))
        shutil.copy(ROOT / ".dockerignore", context)
        subprocess.run(["git", "apply", str(VERSION_2_PATCH)], cwd=Path(context) / tree, check=True)
        docker(
            "build", "--quiet", "-f", str(ROOT / "compose" / "Dockerfile"), "--build-arg", f"TREE={tree}",
            "--build-arg", f"APP_VERSION={NEW_VERSION}", "-t", image, context, timeout=900,
        )  # fmt: skip
    return image


def drill(tree: str) -> list[tuple[str, Figures]]:
    build_new_version(tree)
    topology = SwarmTopology(tree).start()
    first = f"stateless-shop/{tree}:latest"
    at_version(topology, first)
    bought = products(topology)
    early = [Visitor(topology.url) for _ in range(3)]
    for visitor in early:
        visitor.sign_up()
    rows = [
        ("rolling update to version 2", under_load(topology, bought, lambda load: rolling_update(topology))),
        ("failed rollout, rolled back", under_load(topology, bought, lambda load: failed_rollout(topology))),
        ("scale 2 → 4 → 2", under_load(topology, bought, lambda load: scale_out_and_in(topology, early))),
    ]
    at_version(topology, first)
    timed = [
        ("blue/green to version 2 and back", lambda load: blue_green(topology, load)),
        (f"canary {CANARY_SHARE}% to version 2, promoted", lambda load: canary(topology, load)),
    ]
    for name, action in timed:
        try:
            rows.append((name, under_load(topology, bought, action)))
        finally:
            topology.route()
            if docker("service", "ls", "--quiet", "--filter", f"name={topology.green}").split():
                topology.remove_green()
    return rows


def compose_recreate(tree: str) -> list[tuple[str, Figures]]:
    topology = ComposeTopology(tree).start()

    def recreate(load):
        topology.redeploy()
        return "every replica replaced at once: compose has no update strategy"

    return [("`docker compose up -d --force-recreate`", under_load(topology, products(topology), recreate))]


def markdown(results: dict[str, list[tuple[str, Figures]]]) -> str:
    lines = [
        "| tree | row | requests | failed | resent | sessions lost | tokens refused | orders lost / doubled "
        "| versions seen | crossings | live messages across versions | pages reconnected | live updates missed "
        "| pages stale | took | figures |",
        "|------|-----|---------:|-------:|-------:|--------------:|---------------:|------:"
        "|---------------|----------:|------:|------------------:|--------------------:|------------:|-----:|---------|",
    ]
    for tree, rows in results.items():
        for name, f in rows:
            versions = ", ".join(f"{v}×{n}" for v, n in sorted(f.versions.items()))
            refused = f"; stock changes refused {f.stock_changes_refused}/{f.stock_changes}" * bool(
                f.stock_changes_refused
            )
            lines.append(
                f"| {tree}/ | {name} | {f.requests} | {f.failed} | {f.resent} | {f.sessions_lost} | {f.tokens_refused} "
                f"| {f.orders_lost} / {f.orders_doubled} | {versions} | {f.crossings} "
                f"| {f.messages_across} of {f.live_messages} | {f.pages_reconnected} "
                f"| {f.updates_missed} | {f.pages_stale} | {f.took:.0f}s | {f.note}{refused} |"
            )
    return "\n".join(lines)


def main(trees=("after", "before"), *, doc: bool = False, compose: bool = False) -> int:
    run = compose_recreate if compose else drill
    results = {tree: run(tree) for tree in trees}
    table = markdown(results)
    name = "deploys-compose" if compose else "deploys"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)
    if doc:
        write_block(DOC, name, table)
    if compose:  # the row shows what compose lacks: it has no target to miss
        return 0
    missed = [name for name, f in results.get("after", []) if f.missed_targets]
    if missed:
        print(f"after/ missed its targets on: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # No `choices`: with nargs="*" argparse checks the empty default against them, and refuses it.
    parser.add_argument("trees", nargs="*", metavar="after|before", help="default: after, then before")
    parser.add_argument("--doc", action="store_true", help="also write the table into docs/07-deploys.md")
    parser.add_argument("--compose", action="store_true", help="the Compose stacks' one deploy instead of Swarm's")
    args = parser.parse_args()
    if set(args.trees) - {"after", "before"}:
        parser.error(f"trees are after and before, not {args.trees}")
    sys.exit(main(tuple(args.trees or ["after", "before"]), doc=args.doc, compose=args.compose))
