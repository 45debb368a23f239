"""Waiting by polling with a deadline: nothing in the harness or its users sleeps to synchronise."""

from __future__ import annotations

import contextlib
import time


def wait_until(check, *, what: str, deadline: float = 30.0, interval: float = 0.05):
    """Poll `check` until it returns a truthy value, or fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    last_error: Exception | None = None
    while time.monotonic() < end:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - anything counts as "not yet"
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {deadline:.0f}s (last error: {last_error!r})")


def settled(check, *, what: str, deadline: float) -> bool:
    """wait_until, where running out of time is a figure for a report rather than an error."""
    with contextlib.suppress(TimeoutError):
        return bool(wait_until(check, what=what, deadline=deadline))
    return False


def serves_only(url: str, replicas: set[str], *, what: str, deadline: float = 30.0) -> None:
    """Wait until a load balancer sends traffic to these replicas (by X-Served-By) and no other."""
    import requests

    def only_the_current_replicas():
        seen = {requests.get(f"{url}/healthz", timeout=2).headers["X-Served-By"] for _ in range(8)}
        return seen <= replicas

    wait_until(only_the_current_replicas, what=what, deadline=deadline)
