"""How many SQL queries and Redis commands one request of each benchmarked path makes, in-process.

bench/load.py runs this inside a tree (cwd before/ or after/) with a running topology's environment,
and reads the JSON it prints. Each request is sent twice and the second one counted, so connections
and caches opened once per process are not charged to the request. Then it reports what Python's
garbage collector tracks, and how long one full collection takes: the pause behind p99 figures.
"""

import gc
import json
import os
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import redis  # noqa: E402
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
    print(json.dumps({**counted, "gc": garbage_collector()}))


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
