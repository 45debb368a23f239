"""The shared store as the boundary: what a replica does with what Redis gives it, who may talk to Redis,
and what survives Redis dying."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import requests

from drills.report import Report, statuses
from harness import Visitor


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


STORE = [pickled_session]
