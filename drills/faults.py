"""Faults under a bounded load: a replica killed, a rolling restart, Redis and S3 stopped."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from drills.report import Report, statuses
from harness import CUSTOMER, ApiClient, Visitor, a_picture, wait_until

USERS = 4
ROUNDS = 6


class Load:
    """Logged-in visitors reading their cart through nginx in a loop, until stopped (at most `limit` s)."""

    def __init__(self, topology, visitors: list[Visitor], limit: float = 60.0):
        self.visitors, self.limit = visitors, limit
        self.codes: list[int] = []
        self.latencies: list[float] = []
        self.logged_out = 0
        self.resent = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(v,), daemon=True) for v in visitors]

    def _run(self, visitor: Visitor) -> None:
        end = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < end:
            started = time.monotonic()
            try:
                code = self._read(visitor)
            except requests.ConnectionError:
                # A kept-alive connection the server closed as we reused it (nginx's old workers do so at a
                # reload): browsers resend an idempotent request once on a fresh connection, and so do we.
                self.resent += 1
                try:
                    code = self._read(visitor)
                except requests.RequestException:
                    code = 0
            except requests.RequestException:
                code = 0
            self.latencies.append(time.monotonic() - started)
            self.codes.append(code)

    def _read(self, visitor: Visitor) -> int:
        code = visitor.get("/orders/", timeout=15).status_code
        if code == 302:  # sent to the login page: the session is gone
            self.logged_out += 1
        return code

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def signed_in_visitors(topology, count: int) -> list[Visitor]:
    """`count` users signed up through nginx, half of them on each replica just after.

    With sticky sessions that is the replica each one is pinned to; without, nginx spreads every request.
    """
    visitors: list[Visitor] = []
    per_replica: Counter[str] = Counter()
    for _ in range(count * 5):
        visitor = Visitor(topology.url)
        visitor.sign_up()
        replica = visitor.served_by()
        if per_replica[replica] < count // len(topology.replicas):
            per_replica[replica] += 1
            visitors.append(visitor)
            if len(visitors) == count:
                return visitors
    raise RuntimeError(f"could not sign up {count} users spread over the replicas: {dict(per_replica)}")


def journey(visitor: Visitor, product_id: int, rounds: int, kill_after: threading.Event | None) -> dict:
    """Add to the cart, read it, check out. A checkout that fails is resent blindly with the same form
    (the same checkout key), as an impatient user or a retrying client does: it must not be a second order.
    A checkout sent to the login page ends the journey: the session is gone, and the cart with it."""
    figures = {"codes": [], "failed_checkouts_committed": 0, "cart_wrong": 0, "cart_empty": 0, "sent_to_log_in": 0}
    for round_ in range(rounds):
        if kill_after is not None and round_ == rounds // 2:
            kill_after.set()
        before = set(visitor.order_ids())
        response = visitor.add_to_cart(product_id, 1)
        figures["codes"].append(response.status_code)
        if response.status_code != 302:
            response = visitor.add_to_cart(product_id, 1)  # a user clicks again
            figures["codes"].append(response.status_code)
        if visitor.cart().get(product_id) != 1:  # lost, or doubled by the click again after a 502
            figures["cart_wrong"] += 1
        key = visitor.checkout_key()
        if key is None:  # nothing to check out: the item added went to a replica as it died
            figures["cart_empty"] += 1
            continue
        form = {"checkout_key": key}
        response = visitor.post("/checkout/", form)
        figures["codes"].append(response.status_code)
        if response.status_code != 302:
            figures["failed_checkouts_committed"] += len(set(visitor.order_ids()) - before)
            response = visitor.post("/checkout/", form)
            figures["codes"].append(response.status_code)
        if "/accounts/login/" in response.headers.get("Location", ""):
            figures["sent_to_log_in"] += 1
            break
    figures["orders"] = len(visitor.order_ids())
    figures["still_signed_in"] = visitor.signed_in_as() is not None
    return figures


def kill_replica(topology, report: Report) -> None:
    staff = Visitor(topology.url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=1000)
    visitors = signed_in_visitors(topology, USERS)
    go = threading.Event()
    on_victim = [v.served_by() == topology.replicas[1].name for v in visitors]

    def killer():
        go.wait(60)
        topology.kill(1)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        with ThreadPoolExecutor(USERS) as pool:
            results = list(
                pool.map(lambda v: journey(v, product_id, ROUNDS, go if v is visitors[0] else None), visitors)
            )
    finally:
        go.set()
        thread.join()
        topology.replace(1)  # back to two replicas for the next drills
    codes = [c for r in results for c in r["codes"]]
    wanted = USERS * ROUNDS
    orders = sum(r["orders"] for r in results)
    lost_sessions = sum(not r["still_signed_in"] for r in results)
    lost_on_victim = sum(not r["still_signed_in"] for r, on in zip(results, on_victim, strict=True) if on)
    carts = sum(r["cart_wrong"] for r in results)
    committed = sum(r["failed_checkouts_committed"] for r in results)
    logins = sum(r["sent_to_log_in"] for r in results)
    empty = sum(r["cart_empty"] for r in results)
    # In-flight requests on the killed replica get a 502: reported, not enforced.
    row = report.row("faults", f"SIGKILL replica B mid-journey ({USERS} users x {ROUNDS} checkouts)")
    row.tried = len(codes)
    row.as_expected = sum(c in (302,) for c in codes)
    row.errors = codes.count(500)
    row.failed = orders != wanted or lost_sessions > 0
    lost, doubled = max(wanted - orders, 0), max(orders - wanted, 0)
    pinned = f" ({lost_on_victim} of the {sum(on_victim)} pinned to B)" if topology.sticky else ""
    in_flight = " (in flight on B when it died: nginx does not resend a POST)" if 502 in codes else ""
    row.note = (
        f"{statuses(codes)}{in_flight}; orders {orders}/{wanted} (lost {lost}, doubled {doubled}); "
        f"sessions lost {lost_sessions}"
        f"{pinned}; checkouts sent to the login page {logins}; "
        f"carts not holding the 1 item added {carts} (empty {empty}); failed "
        f"checkouts already committed {committed} (resent with their checkout key: the same order, not a second)"
    )


def rolling_restart(topology, report: Report) -> None:
    visitors = signed_in_visitors(topology, USERS)
    started = time.monotonic()
    with Load(topology, visitors) as load:
        wait_until(lambda: len(load.codes) > 20, what="load running")
        topology.redeploy()
        wait_until(lambda: len(load.codes) > 20 + 40, what="load after the redeploy")
    took = time.monotonic() - started
    codes = load.codes
    still = sum(v.signed_in_as() is not None for v in visitors)
    row = report.row("faults", "rolling restart under load (SIGTERM one replica at a time)")
    row.tried, row.as_expected = len(codes), codes.count(200)
    row.errors = codes.count(500)
    row.failed = still != len(visitors)
    row.note = (
        f"{statuses(codes)} (0 = connection error) in {took:.1f}s; failed {len(codes) - codes.count(200)} "
        f"after {load.resent} resent once on a fresh connection; sent to log in {load.logged_out} "
        f"(target 0); still signed in {still}/{len(visitors)}; max latency {max(load.latencies):.2f}s"
    )


def redis_outage(topology, report: Report, seconds: float = 10.0) -> None:
    visitors = signed_in_visitors(topology, USERS)
    with Load(topology, visitors, limit=seconds + 30) as load:
        wait_until(lambda: len(load.codes) > 10, what="load running")
        topology.stop_service("redis")
        down_from = len(load.codes)
        time.sleep(seconds)  # the outage itself: its length is what the drill is about
        during = list(load.codes[down_from:])
        during_latency = list(load.latencies[down_from:])
        topology.start_service("redis")
        back = time.monotonic()
        back_from = len(load.codes)
        wait_until(lambda: 200 in load.codes[back_from:], what="recovery after Redis", deadline=20)
        recovery = time.monotonic() - back
    still = sum(v.signed_in_as() is not None for v in visitors)
    row = report.row("faults", f"Redis stopped {seconds:.0f}s under load")
    row.tried = len(during)
    # A request already past its Redis calls when Redis stopped may still finish with a 200.
    row.as_expected = sum(c in (200, 503) for c in during)
    row.errors = during.count(500) + load.codes.count(500)
    row.failed = recovery > 5 or still != len(visitors)
    row.note = (
        f"during: {statuses(during)}, max latency {max(during_latency, default=0):.2f}s; recovered "
        f"{recovery:.1f}s after Redis returned (target 5s); still signed in {still}/{len(visitors)}"
    )

    # Fail closed: no login past an unreadable rate limit. Access tokens need no Redis: their revocations
    # are in the database.
    api = ApiClient(topology).log_in(*CUSTOMER)
    topology.stop_service("redis")
    try:
        login = Visitor(topology).log_in(*CUSTOMER).status_code
        me = api.me()
    finally:
        topology.start_service("redis")
    row = report.row("faults", "rate limit fails closed while Redis is down; API tokens work on", hard=True)
    row.count(login == 503, login if login != 503 else None)
    row.count(me.status_code == 200, me.status_code if me.status_code != 200 else None)
    row.note = f"login {login}, /api/me with a valid access token {me.status_code}"


def s3_outage(topology, report: Report) -> None:
    staff = Visitor(topology.url)
    staff.log_in_as_staff()
    product_id, slug = staff.create_product(stock=5)
    assert staff.upload_picture(product_id, a_picture("red")).status_code == 302
    before = staff.picture_url(slug)
    topology.stop_service("s3")
    started = time.monotonic()
    try:
        got = [staff.upload_picture(product_id, a_picture("blue")).status_code for _ in range(3)]
        latency = (time.monotonic() - started) / 3
        page = staff.get(f"/products/{slug}/").status_code
    finally:
        topology.start_service("s3")
    back = time.monotonic()
    wait_until(lambda: staff.upload_picture(product_id, a_picture("green")).status_code == 302, what="S3 back")
    recovery = time.monotonic() - back
    after = staff.picture_url(slug)
    fetched = staff.fetch(after).status_code if after else None
    row = report.row("faults", "S3 stopped: uploads, then recovery", hard=True)
    for status in got:
        row.count(status == 503, status if status != 503 else None)
    row.failed = fetched != 200
    key = re.search(r"/(products/[^?]+)", before or "")
    row.note = (
        f"uploads {got}, {latency:.2f}s each; product page {page}; recovered in {recovery:.1f}s; "
        f"picture the row points at afterwards: {fetched} (was {key.group(1) if key else None})"
    )


FAULTS = [kill_replica, rolling_restart, redis_outage, s3_outage]
