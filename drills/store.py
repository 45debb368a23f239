"""The shared store as the boundary: what a replica does with what Redis gives it, who may talk to Redis,
and what survives Redis dying."""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
import time
from pathlib import Path

import redis
import requests

from drills.faults import signed_in_visitors
from drills.report import Report, statuses
from harness import ApiClient, LiveSocket, Visitor, redis_acl, wait_until

# appendfsync everysec: Redis fsyncs the append-only file once a second (up to two when the disk is slow).
FSYNC_WINDOW = 1.0
# Replication is asynchronous: what the primary acknowledged in its last moments may never reach the replica.
REPLICATION_WINDOW = 1.0
# An outage is a quick 503 (tests/test_outages.py): one-second socket timeouts, to Redis and to the Sentinels.
ANSWERS_WITHIN = 3.0
# Sentinel calls the primary down after 2 s of silence (compose/redis/sentinel.sh), then elects and promotes.
FAILS_OVER_WITHIN = 10.0


class _Runs:
    """Unpickled, it makes the directory `path`: proof that a value read from Redis ran as code."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def session_key_in_redis(visitor: Visitor) -> str:
    """Where the cache session backend keeps the visitor's session: alias prefix, version, Django's key."""
    return f"session:1:django.contrib.sessions.cache{visitor.http.cookies['sessionid']}"


def logged_refusals(topology) -> int:
    return sum(r.process.log.read_text(errors="replace").count("Refused a stored session") for r in topology.replicas)


def pickled_session(topology, report: Report) -> None:
    # The control: the payload is live, pickle.loads runs it.
    with tempfile.TemporaryDirectory() as scratch:
        pickle.loads(pickle.dumps(_Runs(f"{scratch}/ran")))  # noqa: S301 - the point of the control
        live = Path(scratch, "ran").is_dir()
    marker = topology.workdir / "pickle-ran-on-a-replica"
    visitor = Visitor(topology.url)
    username = visitor.sign_up()
    signed_in = visitor.signed_in_as() == username
    redis, key = topology.redis_client(), session_key_in_redis(visitor)
    cookie = {"sessionid": visitor.http.cookies["sessionid"]}
    logged_before = logged_refusals(topology)
    row = report.row("store", "crafted pickle written into a visitor's session key", hard=True)
    seen = []
    for protocol in (0, pickle.HIGHEST_PROTOCOL):
        for replica in topology.replicas:
            # Written again each time: a refused session's cookie is dropped, the key is not.
            redis.set(key, pickle.dumps(_Runs(str(marker)), protocol=protocol), ex=600)
            response = requests.get(f"{replica.url}/accounts/me/", cookies=cookie, allow_redirects=False, timeout=15)
            seen.append(response.status_code)
            # Refused as a bad session: an anonymous visitor, sent to log in; and nothing ran.
            ok = response.status_code == 302 and "/accounts/login/" in response.headers.get("Location", "")
            row.count(ok and not marker.exists(), response.status_code)
    logged = logged_refusals(topology) - logged_before
    row.failed = not (live and signed_in) or marker.exists() or logged < row.tried
    row.note = (
        f"protocols 0 and {pickle.HIGHEST_PROTOCOL} on both replicas: {statuses(seen)} (sent to log in); "
        f"ran on a replica: {marker.exists()}; refusals logged {logged}/{row.tried}; "
        f"control: the payload runs under pickle.loads {live}, the session was valid before {signed_in}"
    )


def refused(command) -> bool:
    """Redis says no: NOPERM (a command, key or channel not granted), NOAUTH, or WRONGPASS."""
    try:
        command()
    except (redis.exceptions.NoPermissionError, redis.exceptions.AuthenticationError):
        return True
    except redis.exceptions.ResponseError as exc:
        return str(exc).startswith(("NOPERM", "NOAUTH", "WRONGPASS"))
    return False


def subscribe(client: redis.Redis, channel: str):
    def command():
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(channel)
            pubsub.get_message(timeout=1)
        finally:
            pubsub.close()

    return command


def shop_journey(topology) -> dict[str, bool]:
    """What the shop does with Redis, each step through nginx: every alias and the channel layer."""
    staff = Visitor(topology.url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=10)
    buyer = Visitor(topology.url)
    username = buyer.sign_up()
    steps = {"signed up and in (sessions)": buyer.signed_in_as() == username}
    steps["cart kept (sessions)"] = buyer.add_to_cart(product_id, 2).status_code == 302 and buyer.cart() == {
        product_id: 2
    }
    steps["wrong password refused (rate limits)"] = Visitor(topology.url).log_in(username, "wrong").status_code == 200
    api = ApiClient(topology.url).log_in(username)
    access = api.access
    steps["token revoked (revocations)"] = api.logout().status_code in (200, 204) and api.me(access).status_code == 401
    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        socket.next()
        staff.at(topology.replica(1)).set_stock(product_id, 7)
        steps["live page updated from the other replica (channels)"] = any(
            m.get("stock") == 7 for m in socket.until(lambda m: m.get("stock") == 7)
        )
    return steps


def redis_users(topology, report: Report) -> None:
    admin = topology.redis_client()
    admin.acl_log_reset()
    steps = shop_journey(topology)
    # Anything the shop was refused lands in ACL LOG: the users grant what the shop does.
    denied = [entry for entry in admin.acl_log() if str(entry.get("username", "")).startswith("shop-")]
    port, sessions_password = topology.redis_port, topology.redis_passwords["REDIS_SESSIONS_PASSWORD"]
    anonymous = redis.Redis(port=port, socket_timeout=2)
    key = f"session:1:django.contrib.sessions.cache{'x' * 32}"
    cases = {
        "no password: GET a session": lambda: anonymous.get(key),
        "no password: SET a session": lambda: anonymous.set(key, "{}"),
        "no password: KEYS *": lambda: anonymous.keys("*"),
        "no password: CONFIG GET": lambda: anonymous.config_get("dir"),
        "no password: SUBSCRIBE a group": subscribe(anonymous, "asgi__group__product-1"),
        "shop-sessions, wrong password": lambda: redis.Redis(port=port, username="shop-sessions", password="x").ping(),
        "shop-limits with the sessions password": lambda: redis.Redis(
            port=port, username="shop-limits", password=sessions_password
        ).ping(),
        "a user that does not exist": lambda: redis.Redis(port=port, username="root", password="x").ping(),
    }
    row = report.row("store", "Redis: unauthenticated and wrong-user clients refused; the shop works", hard=True)
    failed = [name for name, command in cases.items() if not refused(command)]
    for name in cases:
        row.count(name not in failed)
    for ok in steps.values():
        row.count(ok)
    row.failed = bool(failed) or bool(denied)
    row.note = (
        f"refused {len(cases) - len(failed)}/{len(cases)} (anonymous clients may PING only)"
        + (f"; NOT refused: {', '.join(failed)}" if failed else "")
        + f"; shop journey {sum(steps.values())}/{len(steps)} steps"
        + "".join(f"; FAILED {name}" for name, ok in steps.items() if not ok)
        + f"; the shop's users refused anything meanwhile (ACL LOG): {len(denied)}"
    )

    clients = {user: topology.redis_client(user, socket_timeout=2) for user in redis_acl.USERS}
    sessions, limits, channels, cache = clients.values()  # in the order compose/redis/acl.py names them
    forbidden = {
        "shop-sessions": {
            "GET a rate-limit counter": lambda: sessions.get("ratelimit:1:x"),
            "SET a rate-limit counter": lambda: sessions.set("ratelimit:1:x", 0),
            "EVAL": lambda: sessions.eval("return 1", 0),
            "KEYS *": lambda: sessions.keys("*"),
            "FLUSHALL": lambda: sessions.flushall(),
            "PUBLISH to a group": lambda: sessions.publish("asgi__group__product-1", "x"),
        },
        "shop-limits": {
            "GET a session": lambda: limits.get(key),
            "DEL a session": lambda: limits.delete(key),
            "an EVAL reaching a session": lambda: limits.eval("return redis.call('GET', KEYS[1])", 1, key),
            "CONFIG SET": lambda: limits.config_set("appendonly", "no"),
            "SUBSCRIBE a group": subscribe(limits, "asgi__group__product-1"),
        },
        "shop-channels": {
            "GET a session": lambda: channels.get(key),
            "SET any key": lambda: channels.set("asgi:x", 1),
            "SUBSCRIBE a channel outside asgi*": subscribe(channels, "__keyspace@0__:session"),
            "PUBLISH outside asgi*": lambda: channels.publish("other", "x"),
        },
        "shop-cache": {
            "GET a session": lambda: cache.get(key),
            "FLUSHDB": lambda: cache.flushdb(),
            "KEYS *": lambda: cache.keys("*"),
        },
    }
    allowed = {
        "shop-sessions": lambda: sessions.set(key, "{}", ex=5) and sessions.delete(key) == 1,
        "shop-limits": lambda: limits.set("ratelimit:1:drill", 1, ex=5) and limits.get("ratelimit:1:drill") == b"1",
        "shop-channels": lambda: channels.publish("asgi__group__drill", "x") == 0,
        "shop-cache": lambda: cache.set("cache:1:drill", 1, ex=5) and cache.get("cache:1:drill") == b"1",
    }
    row = report.row("store", "Redis: each user limited to its own commands, keys and channels", hard=True)
    not_refused = []
    for user, commands in forbidden.items():
        row.count(bool(allowed[user]()))
        for name, command in commands.items():
            ok = refused(command)
            row.count(ok)
            if not ok:
                not_refused.append(f"{user} {name}")
    for client in clients.values():
        client.close()
    row.note = (
        f"{sum(len(c) for c in forbidden.values())} forbidden commands tried over {len(forbidden)} users, refused "
        f"{sum(len(c) for c in forbidden.values()) - len(not_refused)}; each user's own work allowed"
        + (f"; NOT refused: {', '.join(not_refused)}" if not_refused else "")
    )


class CartWriters:
    """One thread per visitor adding 1 to its cart in a loop, each acknowledged write (302) timed; with `read`,
    each write is followed by a read of that page. Every request is kept as (sent at, code, seconds taken)."""

    def __init__(self, visitors: list[Visitor], product_id: int, read: str | None = None):
        self.visitors, self.product_id, self.read = visitors, product_id, read
        self.acknowledged: list[list[float]] = [[] for _ in visitors]
        self.codes: list[int] = []
        self.requests: list[tuple[float, int, float]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(len(visitors))]

    def _timed(self, request) -> int:
        started = time.monotonic()
        try:
            code = request().status_code
        except requests.RequestException:
            code = 0
        self.requests.append((started, code, time.monotonic() - started))
        return code

    def _run(self, index: int) -> None:
        end = time.monotonic() + 60
        visitor = self.visitors[index]
        while not self._stop.is_set() and time.monotonic() < end:
            code = self._timed(lambda: visitor.add_to_cart(self.product_id, 1))
            if code == 302:
                self.acknowledged[index].append(time.monotonic())
            self.codes.append(code)
            if self.read:
                self._timed(lambda: visitor.get(self.read))

    def __enter__(self) -> CartWriters:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def __exit__(self, *exc) -> None:
        self.stop()


def redis_sigkill(topology, report: Report, users: int = 4) -> None:
    staff = Visitor(topology.url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=100_000)
    visitors = signed_in_visitors(topology, users)
    api = ApiClient(topology.url).log_in(Visitor(topology.url).sign_up())
    revoked = api.access
    api.logout()
    revoked_before = api.me(revoked).status_code
    with CartWriters(visitors, product_id) as writers:
        wait_until(lambda: all(len(times) >= 5 for times in writers.acknowledged), what="carts being written")
        late = Visitor(topology.url)  # signed up inside the fsync window: what may be lost
        late_name = late.sign_up()
        killed_at = time.monotonic()
        topology.kill_service("redis")
        codes_from = len(writers.codes)
        writers.stop()  # every write acknowledged from now on was acknowledged before the kill
        during = writers.codes[codes_from:]
    topology.start_service("redis")  # returns once it answers PING: the append-only file is loaded
    back = time.monotonic()
    wait_until(lambda: visitors[0].get("/orders/").status_code == 200, what="the shop back after Redis", deadline=20)
    recovery = time.monotonic() - back
    still = sum(v.signed_in_as() is not None for v in visitors)
    acknowledged = sum(len(times) for times in writers.acknowledged)
    lost, lost_old, oldest_lost = 0, 0, 0.0
    for visitor, times in zip(visitors, writers.acknowledged, strict=True):
        kept = visitor.cart().get(product_id, 0)
        for written in times[kept:]:  # each add made the quantity one more: the writes after `kept` are gone
            lost += 1
            oldest_lost = max(oldest_lost, killed_at - written)
            lost_old += killed_at - written > FSYNC_WINDOW
    revoked_after = api.me(revoked).status_code
    late_kept = late.signed_in_as() == late_name
    row = report.row("store", f"Redis SIGKILLed under load ({users} users writing their carts), restarted", hard=True)
    row.count(still == len(visitors))
    row.count(lost_old == 0)
    row.count(revoked_before == revoked_after == 401)
    row.errors = during.count(500) + writers.codes.count(500)
    row.failed = recovery > 5
    row.note = (
        f"sessions kept {still}/{len(visitors)}; cart writes acknowledged {acknowledged}, lost {lost} "
        f"(older than the {FSYNC_WINDOW:.0f}s fsync window: {lost_old}; oldest lost {oldest_lost:.2f}s); "
        f"revoked token {revoked_before} before, {revoked_after} after; session signed up just before the kill "
        f"kept {late_kept}; while down {statuses(during)}; Redis answering {back - killed_at:.1f}s after the kill, the "
        f"shop {recovery:.1f}s after that"
    )


def denied_servers(topology) -> list[str]:
    """What Redis refused the replication and Sentinel users (ACL LOG of every server that runs)."""
    denied = []
    for name in topology.redis_ports:
        if any(p.name == name for p in topology.services):
            log = topology.redis_client(server=name).acl_log()
            denied += [f"{name}: {e['username']} {e['object']}" for e in log if e.get("username") in redis_acl.SERVERS]
    return denied


def redis_failover(topology, report: Report, users: int = 4) -> None:
    """Sentinel's topology (Topology(sentinel=True)): the primary SIGKILLed under load, the replica promoted."""
    staff = Visitor(topology.url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=100_000)
    visitors = signed_in_visitors(topology, users)
    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        socket.next()
        with CartWriters(visitors, product_id, read="/orders/") as load:
            wait_until(lambda: all(len(times) >= 5 for times in load.acknowledged), what="carts being written")
            late = Visitor(topology.url)  # signed up inside the replication window: what may be lost
            late_name = late.sign_up()
            killed = topology.kill_redis_primary()  # returns once the process is gone
            killed_at = time.monotonic()
            wait_until(lambda: topology.failed_over(killed), what="Sentinel's failover", deadline=30)
            promoted = time.monotonic() - killed_at

            def answered_since_the_kill():  # a page read (200), sent after the kill, and answered
                return [start + took for start, code, took in list(load.requests) if start > killed_at and code == 200]

            wait_until(answered_since_the_kill, what="the shop after the failover", deadline=30)
            recovered = min(answered_since_the_kill())
            wait_until(lambda: sum(start > recovered for start, _, _ in list(load.requests)) > 20, what="load after")
        # Sent between the kill and the shop's first answer: what the visitors saw of the failover.
        during = [(code, took) for start, code, took in load.requests if killed_at <= start < recovered]
        after = [code for start, code, _ in load.requests if start >= recovered]
        change = f"/staff/products/{product_id}/stock/"
        wait_until(lambda: staff.at(topology.replica(1)).post(change, {"stock": "42"}).status_code == 302, what="stock")
        seen = socket.until(lambda message: message["stock"] == 42, deadline=5)
    resynced = bool(seen) and seen[-1]["stock"] == 42
    topology.start_service(killed)  # back as a replica of the new primary, for whatever runs next
    rejoined = topology.redis_client(server=killed)
    wait_until(lambda: rejoined.info("replication")["master_link_status"] == "up", what="the old primary rejoining")
    denied = denied_servers(topology)

    still = sum(v.signed_in_as() is not None for v in visitors)
    lost, lost_old = 0, 0
    for visitor, times in zip(visitors, load.acknowledged, strict=True):
        lost_here = max(len(times) - visitor.cart().get(product_id, 0), 0)
        # Only the writes acknowledged just before the kill may be gone; later ones went to the new primary.
        recent = sum(killed_at - REPLICATION_WINDOW <= written < killed_at for written in times)
        lost, lost_old = lost + lost_here, lost_old + max(lost_here - recent, 0)
    late_kept = late.signed_in_as() == late_name
    fast_503 = sum(code == 503 and took < ANSWERS_WITHIN for code, took in during)
    slow = sum(took >= ANSWERS_WITHIN for _, took in during)
    codes = [code for code, _ in during]
    recovery = recovered - killed_at
    row = report.row("store", f"Redis primary SIGKILLed behind Sentinel ({users} users writing and reading)", hard=True)
    row.count(recovery <= FAILS_OVER_WITHIN)
    row.count(slow == 0)
    row.count(still == len(visitors))
    row.count(lost_old == 0)
    row.count(resynced)
    row.count(not denied)
    row.errors = codes.count(500) + after.count(500)
    row.note = (
        f"the shop answered again {recovery:.1f}s after the kill (target {FAILS_OVER_WITHIN:.0f}s; Sentinel promoted "
        f"{topology.redis_primary()} at {promoted:.1f}s); meanwhile {len(during)} requests: {fast_503} fast 503s, "
        f"{codes.count(500)} 500s, {slow} slower than {ANSWERS_WITHIN:.0f}s or unanswered (slowest "
        f"{max((took for _, took in during), default=0):.2f}s; {statuses(codes)}; "
        f"0 = no answer); afterwards {statuses(after)}; sessions kept {still}/{len(visitors)}, the one signed up "
        f"just before the kill {late_kept}; cart writes acknowledged {sum(map(len, load.acknowledged))}, lost {lost} "
        f"(older than the {REPLICATION_WINDOW:.0f}s replication window: {lost_old}); live page resynced {resynced}; "
        f"refused to the replication and Sentinel users: {len(denied)}" + (f" ({', '.join(denied)})" if denied else "")
    )


STORE = [pickled_session, redis_users, redis_sigkill]
# On a topology of their own, with Sentinel (drills/run.py).
FAILOVER = [redis_failover]
