"""The shop's Redis users: one per purpose, each allowed only the commands, keys and channels it uses.

Compose runs this once (`make compose-up` writes compose/secrets/ if it is missing); the local topologies
import it, as they do compose/bucket.py. It writes two files: `users.acl`, which redis-server loads
(`--aclfile`; it holds SHA-256 hashes, not the passwords), and `redis.env`, the passwords, for
`docker compose --env-file`. A replica gets REDIS_<PURPOSE>_PASSWORD for each purpose, never admin's.

    python compose/redis/acl.py DIRECTORY    # writes DIRECTORY/users.acl and DIRECTORY/redis.env unless both exist
"""

from __future__ import annotations

import hashlib
import secrets
import sys
from pathlib import Path

# Every user may PING (readyz). Not CLIENT SETINFO, which redis-py sends on connect and lets fail.
_CONNECT = "+ping"
# The user names after/config/settings.py connects as, their password variables, their rules (ACL SETUSER).
USERS = {
    # Django's cache session backend: GET, SET (NX to create), DEL, EXISTS, on the sessions alias's keys.
    "shop-sessions": ("REDIS_SESSIONS_PASSWORD", f"~session:* -@all {_CONNECT} +get +set +del +exists"),
    # django-ratelimit (SET NX, then django-redis' INCRBY in an EVAL script, TTL to keep it).
    "shop-limits": (
        "REDIS_LIMITS_PASSWORD",
        f"~ratelimit:* -@all {_CONNECT} +get +set +del +exists +eval +incrby +ttl",
    ),
    # The pub/sub channel layer: no keys at all, only its own channels (Redis 7 grants none by default).
    "shop-channels": ("REDIS_CHANNELS_PASSWORD", f"&asgi* -@all {_CONNECT} +publish +subscribe +unsubscribe"),
    # The `default` cache alias: what may be lost, on its own prefix, without the commands that reach past it.
    "shop-cache": ("REDIS_CACHE_PASSWORD", f"~cache:* -@all {_CONNECT} +@read +@write +@keyspace -@dangerous +eval"),
}
# Operators (and the harness): everything. No replica gets this password.
ADMIN = ("admin", "REDIS_ADMIN_PASSWORD", "~* &* +@all")
# The Redis servers' own users (docs/07-deploys.md, Sentinel), per Redis' "ACL rules for Sentinel and Replicas": a
# replica streams the primary's writes (masteruser), a Sentinel watches each server, announces itself on one channel
# and promotes or repoints them. No key for either, and no shop replica gets their passwords.
SERVERS = {
    "shop-replication": ("REDIS_REPLICATION_PASSWORD", f"-@all {_CONNECT} +psync +replconf"),
    "shop-sentinel": (
        "REDIS_SENTINEL_PASSWORD",
        f"&__sentinel__:hello -@all {_CONNECT} +info +role +subscribe +publish +multi +exec +slaveof +config|rewrite "
        "+client|setname +client|kill +script|kill",
    ),
}
# A client that does not authenticate may PING, which is what healthchecks send, and nothing else.
DEFAULT = "user default reset on nopass -@all +ping"


def passwords_new() -> dict[str, str]:
    """A fresh password for every user, by the name of its variable."""
    return {variable: secrets.token_urlsafe(24) for _, (variable, _) in _every_user()}


def _every_user() -> list[tuple[str, tuple[str, str]]]:
    return [*USERS.items(), *SERVERS.items(), (ADMIN[0], ADMIN[1:])]


def acl_file(passwords: dict[str, str], more_users: dict[str, tuple[str, str]] | None = None) -> str:
    """`more_users`, in USERS' form, are for a measurement's local Redis only (bench/layers.py), never compose's."""
    lines = [DEFAULT]  # redis-server allows no comments in an ACL file
    for name, (variable, rules) in [*_every_user(), *(more_users or {}).items()]:
        digest = hashlib.sha256(passwords[variable].encode()).hexdigest()
        lines.append(f"user {name} reset on #{digest} {rules}")
    return "\n".join(lines) + "\n"


def write(directory: Path, passwords: dict[str, str] | None = None) -> dict[str, str]:
    """users.acl and redis.env in `directory`, made once: kept if there, as a Redis with data keeps its users. A user
    added since (the servers' own, for Sentinel) gets a password of its own, the others keep theirs."""
    acl, env = directory / "users.acl", directory / "redis.env"
    kept = {}
    if acl.exists() and env.exists():
        kept = dict(line.split("=", 1) for line in env.read_text().splitlines() if "=" in line)
        if kept.keys() >= passwords_new().keys():
            return kept
    passwords = {**(passwords or passwords_new()), **kept}
    directory.mkdir(parents=True, exist_ok=True)
    env.write_text("".join(f"{variable}={value}\n" for variable, value in passwords.items()))
    env.chmod(0o600)
    # Read by redis-server as user redis inside its container; it holds hashes only.
    acl.write_text(acl_file(passwords))
    acl.chmod(0o644)
    return passwords


if __name__ == "__main__":
    write(Path(sys.argv[1]))
