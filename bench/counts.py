"""How many SQL queries and Redis commands one request of each benchmarked path makes, in-process.

bench/load.py runs this inside a tree (cwd before/ or after/) with a running topology's environment,
and reads the JSON it prints. Each request is sent twice and the second one counted, so connections
and caches opened once per process are not charged to the request. Then it reports what Python's
garbage collector tracks, and how long one full collection takes: the pause behind p99 figures; and
where the API read's time goes in this process (`api_read_parts`): the whole request through Django's ASGI
handler, the same without a token (the stack the check runs in), and the token check in parts.
"""

import asyncio
import contextlib
import gc
import inspect
import json
import os
import sys
import time
import unittest.mock

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import redis  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import config.asgi  # noqa: E402, F401 - sets Django up as a replica does, with whatever it does at start

CUSTOMER = {"username": "customer", "password": "customer-password-123"}


def redis_calls(server: redis.Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in server.info("commandstats").items()}


def count(server: redis.Redis, send) -> dict:
    send()
    before = redis_calls(server)
    with CaptureQueriesContext(connection) as queries:
        response = send()
    after = redis_calls(server)
    commands = {name: calls - before.get(name, 0) for name, calls in after.items() if name != "info"}
    commands = {name: calls for name, calls in sorted(commands.items()) if calls}
    return {"status": response.status_code, "sql": len(queries), "redis": sum(commands.values()), "commands": commands}


def main(slug: str, cart_product_id: str) -> None:
    server = redis.Redis.from_url(os.environ["REDIS_ADMIN_URL"])
    customer = Client(SERVER_NAME="127.0.0.1")
    assert customer.login(**CUSTOMER), "the seeded customer cannot log in"
    token = Client(SERVER_NAME="127.0.0.1").post("/api/auth/token", CUSTOMER, content_type="application/json")
    bearer = {"Authorization": f"Bearer {token.json()['access']}"}
    sends = {
        "product": lambda: customer.get(f"/products/{slug}/"),
        "cart_page": lambda: customer.get("/cart/"),
        "cart_add": lambda: customer.post(f"/cart/add/{cart_product_id}/", {"quantity": "1"}),
        "api_read": lambda: Client(SERVER_NAME="127.0.0.1").get("/api/me", headers=bearer),
        "login": lambda: Client(SERVER_NAME="127.0.0.1").post("/accounts/login/", CUSTOMER),
    }
    counted = {name: count(server, send) for name, send in sends.items()}
    print(json.dumps({**counted, "gc": garbage_collector(), "api_read_parts": api_read_parts(token.json()["access"])}))


# -- where the API read's time goes ----------------------------------------------------------------

# Per repeat: the whole request (about 2 ms each on this machine), and a part; a smoke run takes a tenth.
REQUESTS, CALLS, REPEATS = (100, 50, 2) if os.environ.get("BENCH_SMOKE") else (1000, 500, 5)


def cpu_us(run, number: int) -> float:
    """CPU time of `run()`, in µs per call: the least of REPEATS repeats (the one least disturbed)."""
    run()
    timings = []
    for _ in range(REPEATS):
        started = time.process_time()
        for _ in range(number):
            run()
        timings.append((time.process_time() - started) / number * 1e6)
    return min(timings)


def asgi_get_us(path: str, headers: list[tuple[bytes, bytes]], status: int) -> float:
    """CPU µs of one GET through config.asgi.application in this process: what uvicorn hands Django,
    without the socket. REQUESTS one after the other in one event loop, the least of REPEATS repeats."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }

    async def one():
        body = [{"type": "http.request", "body": b"", "more_body": False}]
        started = []

        async def receive():
            return body.pop() if body else await asyncio.Event().wait()

        async def send(message):
            if message["type"] == "http.response.start":
                started.append(message["status"])

        await config.asgi.application(scope, receive, send)
        assert started == [status], f"GET {path}: {started}, not {status}"

    async def requests(number):
        for _ in range(number):
            await one()

    asyncio.run(requests(10))
    return cpu_us(lambda: asyncio.run(requests(REQUESTS)), 1) / REQUESTS


def token_check(access: str):
    """This tree's check of a Bearer token, as its BearerAuthentication makes it: (the whole check, its
    signature verification alone or None)."""
    from api import tokens

    if "token" not in inspect.signature(tokens.token_user).parameters:
        return lambda: tokens.token_user(access=access), None  # before/: a lookup in this process's table
    from rest_framework_simplejwt.tokens import AccessToken

    return lambda: tokens.token_user(token=AccessToken(access)), lambda: AccessToken(access)


@contextlib.contextmanager
def plain_check():
    """after/'s BearerAuthentication, while in the block, checking a token as before/ does: no signature or
    claims to verify (the JWT only decoded), and its user alone by primary key, no revocations joined.
    What after/'s API read would cost if its check cost what before/'s does."""
    from rest_framework_simplejwt.tokens import AccessToken

    from api.authentication import BearerAuthentication

    def unverified(self, raw_token):
        return AccessToken(raw_token, verify=False)

    def user_alone(self, token):
        return get_user_model().objects.filter(pk=token["user_id"]).first()

    with (
        unittest.mock.patch.object(BearerAuthentication, "get_validated_token", unverified),
        unittest.mock.patch.object(BearerAuthentication, "get_user", user_alone),
    ):
        yield


def api_read_parts(access: str) -> dict:
    """CPU µs of the API read and of its token check, in parts. The token's user comes with one SQL query
    in both trees: timed as the ORM builds and runs it, as the database runs the same SQL alone, and
    through Model.objects.raw() (no query to build), to tell the ORM's share from the database's."""
    bearer = [(b"authorization", f"Bearer {access}".encode())]
    check, verify = token_check(access)
    with CaptureQueriesContext(connection) as queries:
        check()
    (sql,) = [query["sql"] for query in queries.captured_queries]  # parameters inlined, as SQLite ran them
    cursor = connection.connection.cursor()  # the database driver's own, not Django's wrapper

    def database_alone():
        cursor.execute(sql)
        cursor.fetchall()

    request = asgi_get_us("/api/me", bearer, 200)
    plain = None
    if verify:
        with plain_check():
            plain = asgi_get_us("/api/me", bearer, 200)
    figures = {
        "request": min(request, asgi_get_us("/api/me", bearer, 200)),  # either side of the plain check's
        "plain_check": plain,
        "request_without_token": asgi_get_us("/api/me", [], 401),
        "check": cpu_us(check, CALLS),
        "verify": verify and cpu_us(verify, CALLS),
        "query_sql": cpu_us(database_alone, CALLS),
        "query_raw": cpu_us(lambda: list(get_user_model().objects.raw(sql)), CALLS),
    }
    return figures


def full_collection_ms() -> float:
    pauses = []
    for _ in range(3):
        started = time.perf_counter()
        gc.collect()
        pauses.append((time.perf_counter() - started) * 1000)
    return sorted(pauses)[1]


def garbage_collector() -> dict:
    """What a full collection walks in a process that has served each path, and how long it takes; then
    the same with the objects frozen at start (config/asgi.py) unfrozen, as if nothing had been frozen."""
    figures = {"tracked": len(gc.get_objects()), "frozen": gc.get_freeze_count(), "full_ms": full_collection_ms()}
    gc.unfreeze()
    return {**figures, "unfrozen_full_ms": full_collection_ms()}


if __name__ == "__main__":
    main(*sys.argv[1:])
