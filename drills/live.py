"""Live stock figures through a fault: WebSocket clients that reconnect as the product page does.

Each `LiveClient` is one open product page: it shows every stock figure the server sends, and when its
socket closes it connects again with live.js's backoff (500 ms doubling to 30 s, with jitter). The
server starts every connection with the current stock, so a client that reconnects is up to date.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from drills.report import Report, statuses
from harness import LiveSocket, Visitor, settled, wait_until

CLIENTS = 20
MIN_PER_REPLICA = 5
CHANGES = 10
RETRY_MIN, RETRY_MAX = 0.5, 30.0  # live.js: RETRY_MIN_MS, RETRY_MAX_MS


class LiveClient:
    """One product page with a live stock figure."""

    def __init__(self, product_id: int, base_url: str, seed: int):
        self.socket = LiveSocket(base_url, f"/ws/products/{product_id}/")
        self.values: list[int] = []  # every figure shown, the snapshot at each (re)connection included
        self.replica: str | None = None  # behind the open socket; None while reconnecting
        self.closes = 0
        self.reconnect_times: list[float] = []  # from a close to the snapshot on the next connection
        self.refusals: list = []  # failed reconnection attempts: a status code or an error name
        self.spans: list[list] = []  # [connected at, closed at or None]: when the page was listening
        self.versions: Counter = Counter()  # X-App-Version of the replica behind each connection
        self.version: str | None = None  # behind the open socket
        self.shapes: Counter = Counter()  # (version behind the socket, the message's sorted keys): messages shown
        self._random = random.Random(seed)  # noqa: S311 - live.js's jitter, repeatable
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def open(self) -> str:
        """The page loads: connect once and return the replica serving the socket."""
        self._connect()
        return self.replica

    def follow(self) -> None:
        """Keep showing figures, and reconnect on close, until stop()."""
        self._thread.start()

    def listening(self, start: float, end: float) -> bool:
        """Whether this page's socket was open from `start` to `end` without a break."""
        return any(opened <= start and (closed is None or closed >= end) for opened, closed in self.spans)

    def stop(self) -> None:
        self._stop.set()
        self.socket.close()
        if self._thread.is_alive():
            self._thread.join(10)

    def _connect(self) -> None:
        self.socket.open()
        try:
            snapshot = self.socket.next()
            self.replica = self.socket.served_by  # config/asgi.py adds it to the handshake
            self.version = self.socket.connection.response.headers.get("X-App-Version", "?")
            self._show(snapshot)
            self.versions[self.version] += 1
            self.spans.append([time.monotonic(), None])
        except BaseException:
            self.socket.close()
            raise

    def _show(self, message: dict) -> None:
        self.values.append(message["stock"])
        self.shapes[(self.version, tuple(sorted(message)))] += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            connection = self.socket.connection
            try:
                while True:
                    self._show(self.socket.next(timeout=None))
            except ConnectionClosed:
                pass
            code = connection.close_code
            if self.spans and self.spans[-1][1] is None:
                self.spans[-1][1] = time.monotonic()
            if self._stop.is_set() or (code is not None and 4000 <= code < 5000):
                return  # live.js stops on 4xxx: a final answer
            closed_at = time.monotonic()
            self.closes += 1
            self.replica = None
            if self._reconnect():
                self.reconnect_times.append(time.monotonic() - closed_at)
        self.socket.close()  # one opened as stop() was called

    def _reconnect(self) -> bool:
        delay = RETRY_MIN
        while not self._stop.wait(delay / 2 + self._random.random() * delay / 2):
            delay = min(delay * 2, RETRY_MAX)
            try:
                self._connect()
                return True
            except InvalidHandshake as exc:
                response = getattr(exc, "response", None)
                self.refusals.append(response.status_code if response is not None else type(exc).__name__)
            except (OSError, TimeoutError, ConnectionClosed) as exc:
                self.refusals.append(type(exc).__name__)
        return False


def open_clients(topology, product_id: int, count: int) -> list[LiveClient]:
    """`count` pages open through nginx; one that would leave a replica under MIN_PER_REPLICA pages opens again."""
    clients: list[LiveClient] = []
    per_replica = {replica.name: 0 for replica in topology.replicas}
    room = count - MIN_PER_REPLICA * (len(per_replica) - 1)  # the most one replica may hold
    attempts = 0
    while len(clients) < count:
        attempts += 1
        if attempts > count * 5:
            raise RuntimeError(f"could not spread {count} WebSockets over the replicas: {per_replica}")
        client = LiveClient(product_id, topology.url, seed=len(clients))
        replica = client.open()
        if per_replica[replica] >= room:
            client.stop()
            continue
        per_replica[replica] += 1
        clients.append(client)
    return clients


def staff_on_each_replica(topology) -> list[Visitor]:
    """Staff logged in on A and on B directly: before/ keeps each session on one replica only."""
    staff = [Visitor(replica.url) for replica in topology.replicas]
    for visitor in staff:
        visitor.log_in_as_staff()
    return staff


def change_stock(staff: list[Visitor], product_id: int, clients: list[LiveClient], first: int) -> dict:
    """Staff set the stock CHANGES times to distinct values, alternating replicas A and B; count deliveries."""
    values = list(range(first, first + CHANGES))
    codes = []
    for number, value in enumerate(values):
        response = staff[number % 2].post(f"/staff/products/{product_id}/stock/", {"stock": value})
        codes.append(response.status_code)
        # Pace the changes: wait up to 1 s for every page to show this one. A late value still counts below.
        settled(lambda value=value: all(value in c.values for c in clients), what=f"stock {value}", deadline=1)
    settled(lambda: all(v in c.values for c in clients for v in values), what="every value", deadline=3)
    missed = Counter(value for client in clients for value in values if value not in client.values)
    return {
        "codes": codes,
        "missed": missed.total(),
        "missed_values": ", ".join(f"change {value - first + 1} by {n} pages" for value, n in sorted(missed.items())),
        "stale": sum(client.values[-1:] != values[-1:] for client in clients),
    }


def live_after_kill(topology, report: Report, clients: int = CLIENTS) -> None:
    staff = Visitor(topology.url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=1000)
    count, clients = clients, open_clients(topology, product_id, clients)
    on_victim = sum(client.replica == topology.replicas[1].name for client in clients)
    for client in clients:
        client.follow()
    try:
        topology.kill(1)
        killed = time.monotonic()

        def reconnected() -> bool:
            cut = [c for c in clients if c.closes]
            return len(cut) >= on_victim and all(len(c.reconnect_times) == c.closes for c in cut)

        settled(reconnected, what="the cut-off pages reconnected", deadline=30)
        back_in = time.monotonic() - killed
        topology.replace(1)
        figures = change_stock(staff_on_each_replica(topology), product_id, clients, first=501)
    finally:
        for client in clients:
            client.stop()
    cut = [c for c in clients if c.closes]
    again = [c for c in cut if c.reconnect_times]
    slowest = max((t for c in clients for t in c.reconnect_times), default=0)
    refusals = [r for c in clients for r in c.refusals]
    case = f"SIGKILL replica B under {count} WebSocket pages, then {CHANGES} stock changes"
    row = report.row("live", case, hard=True)
    row.tried, row.as_expected = CHANGES * len(clients), CHANGES * len(clients) - figures["missed"]
    row.errors = sum(code >= 500 for code in figures["codes"])
    row.failed = figures["missed"] > 0 or figures["stale"] > 0 or len(again) < len(cut)
    row.note = (
        f"{len(clients) - on_victim} pages on A, {on_victim} on B; cut off by the kill {len(cut)}, reconnected "
        f"{len(again)} (slowest {slowest:.1f}s, all back {back_in:.1f}s after the kill"
        + (f", refused on the way: {statuses(refusals)}" if refusals else "")
        + f"); staff changes on A and the new B: {statuses(figures['codes'])}; "
        f"updates missed {figures['missed']} (target 0){missed_detail(figures)}; pages not on the final stock "
        f"{figures['stale']} (target 0)"
    )


def missed_detail(figures: dict) -> str:
    return f": {figures['missed_values']}" if figures["missed"] else ""


def live_through_redis_outage(topology, report: Report, seconds: float = 5.0, count: int = 10) -> None:
    staff = staff_on_each_replica(topology)
    product_id, _ = staff[0].create_product(stock=1000)
    replicas = [replica.url for replica in topology.replicas]
    clients = [LiveClient(product_id, replicas[i % 2], seed=i) for i in range(count)]
    for client in clients:
        client.open()
        client.follow()
    try:
        topology.stop_service("redis")
        time.sleep(seconds)  # the outage itself: its length is what the drill is about
        closed = sum(bool(c.closes) for c in clients)
        topology.start_service("redis")
        back = time.monotonic()
        wait_until(lambda: all(s.get("/cart/").status_code == 200 for s in staff), what="the shop after Redis")
        answering = time.monotonic() - back
        # Closed sockets reconnect with live.js's backoff, which grew during the outage.
        settled(lambda: all(c.replica for c in clients), what="every page connected", deadline=30)
        connected = [c for c in clients if c.replica]
        # Staff logged in before the outage: the first change follows the shop's first 200 at once.
        figures = change_stock(staff, product_id, connected, first=601)
    finally:
        for client in clients:
            client.stop()
    case = f"Redis stopped {seconds:.0f}s under {count} WebSocket pages, then {CHANGES} stock changes"
    row = report.row("live", case, hard=True)
    row.tried = CHANGES * len(connected)
    row.as_expected = row.tried - figures["missed"]
    row.errors = sum(code >= 500 for code in figures["codes"])
    row.failed = figures["missed"] > 0 or figures["stale"] > 0 or len(connected) < count
    row.note = (
        f"sockets closed during the outage {closed}/{count}; shop answering {answering:.1f}s after Redis returned; "
        f"connected afterwards {len(connected)}/{count}; staff changes on A and B: {statuses(figures['codes'])}; "
        f"updates missed {figures['missed']} (target 0){missed_detail(figures)}; pages not on the final stock "
        f"{figures['stale']} (target 0)"
    )


LIVE = [live_after_kill, live_through_redis_outage]
