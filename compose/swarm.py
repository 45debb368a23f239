"""The Docker Swarm stack of one shop, derived from compose/compose.yaml: print it, or deploy it.

    python compose/swarm.py after | docker stack deploy -c - shop-after      # or: make swarm-up
    python compose/swarm.py after --test                                      # the suite's variant
    python compose/swarm.py after --green stateless-shop/after:2 | docker stack deploy -c - shop-after
                                                                  # a second colour, for blue/green or a canary

compose.yaml stays the one source of truth for images, environment, commands, healthchecks and the
nginx template; this file holds only what Swarm needs on top of it, or instead of what Swarm ignores
or refuses (`build:`, `restart:`, `depends_on:`, `ipv4_address`, service-level `tmpfs:`, files
mounted from the working directory, `.env`). A script rather than an override file: Swarm would
still refuse the keys an override cannot remove, and one shop's services have to be picked out.

What it adds:
- every service behind `endpoint_mode: dnsrr` (virtual IPs need the routing mesh, which does not
  route here); nginx looks the replicas' name up every second;
- a healthcheck on /readyz, so a task gets traffic only once it can serve, and rolling updates
  (`start-first`, one task at a time, rolled back on failure) gated on it;
- the one-shot setup as a `replicated-job`; files as Swarm configs, so the stack runs on any node;
- ports of their own (before/ :8011, after/ :8012, MinIO :9010), published by nginx and MinIO only,
  in host mode (no host_ip: Swarm binds every interface), so the compose stacks can run alongside.
With --test, each replica also publishes :8000 on a random host port, for the suite's A/B tests.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
COMPOSE_FILE = HERE / "compose.yaml"
PORTS = {"before": 8011, "after": 8012}
MINIO_PORT = 9010
# The overlay network of each stack: uvicorn believes X-Forwarded-For from it only (nginx has no fixed address).
SUBNETS = {"before": "172.30.91.0/24", "after": "172.30.92.0/24"}
REDIS = ["redis", "redis-replica", "redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"]
SHARED = {"before": ["postgres"], "after": ["postgres", *REDIS, "minio"]}

# uvicorn drains for up to 20 s on SIGTERM (UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN in the Dockerfile).
STOP_GRACE_PERIOD = "30s"
READINESS = {
    "test": [
        "CMD",
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)",
    ],
    "interval": "2s",
    # Swarm replaces a task that turns unhealthy: on a busy machine a check that takes longer than 2 s
    # (a Python start and a round trip to the database, Redis and S3) must not count as a dead replica.
    "timeout": "5s",
    "retries": 5,
    "start_period": "60s",
}
ROLLOUT = {
    "parallelism": 1,
    "order": "start-first",
    "failure_action": "rollback",
    # A new task that fails within this long after it started counts as a failed update.
    "monitor": "10s",
    "delay": "1s",
}
ROLLBACK = {"parallelism": 1, "order": "start-first", "failure_action": "pause", "monitor": "10s"}


def interpolate(value, environ):
    """${NAME:-default}, ${NAME:?error} and ${NAME} as compose expands them (compose.yaml uses nothing else)."""
    if isinstance(value, str):

        def expand(match):
            name, kind, rest = match.groups()
            if environ.get(name):
                return environ[name]
            if kind == "?":
                raise SystemExit(f"{name} is not set: {rest}")
            return rest or ""

        return re.sub(r"\$\{(\w+)(?::([-?])([^}]*))?\}", expand, value)
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    return value


SECRETS = HERE / "secrets"


def secrets_environment() -> dict[str, str]:
    """The passwords `make compose-up` writes (compose/redis/acl.py), read as compose's --env-file reads them."""
    env_file = SECRETS / "redis.env"
    if not env_file.exists():
        return {}
    pairs = (line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line and line[0] != "#")
    return {name.strip(): value.strip() for name, value in pairs}


def compose_services(environ=None) -> dict:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    return interpolate(compose["services"], {**secrets_environment(), **os.environ} if environ is None else environ)


def compose_secrets(services: dict) -> dict:
    """compose.yaml's top-level secrets the picked services use, their files by absolute path."""
    declared = yaml.safe_load(COMPOSE_FILE.read_text()).get("secrets", {})
    used = {name for service in services.values() for name in service.get("secrets", [])}
    return {name: {"file": str((HERE / declared[name]["file"]).resolve())} for name in sorted(used)}


def files_as_configs(service: dict, configs: dict, stack_prefix: str) -> None:
    """Read-only file mounts from compose/ become Swarm configs (a bind mount needs the file on every node)."""
    volumes = []
    for volume in service.pop("volumes", []):
        if isinstance(volume, str) and volume.startswith("./"):
            source, target, *_ = volume.split(":")
            name = f"{stack_prefix}-{Path(source).name.replace('.', '-')}"
            configs[name] = {"file": str((HERE / source).resolve())}
            service.setdefault("configs", []).append({"source": name, "target": target})
        else:
            volumes.append(volume)
    if volumes:
        service["volumes"] = volumes


def stack(tree: str, *, test: bool = False, environ=None, green: str | None = None, green_replicas: int = 2) -> dict:
    """The stack of one shop: its setup job, its replicas, its load balancer and what they share. With
    `green` (an image), a second colour of the replicas beside the first, for blue/green and canary
    deploys: `<tree>-web-green`, which nginx reaches once told to (drills/deploys.py)."""
    services = compose_services(environ)
    picked = {
        name: copy.deepcopy(services[name]) for name in [*SHARED[tree], f"{tree}-setup", f"{tree}-web", f"{tree}-lb"]
    }
    configs: dict = {}
    for service in picked.values():
        for ignored in ("build", "restart", "depends_on", "networks"):
            service.pop(ignored, None)
        files_as_configs(service, configs, tree)
        environment = service.get("environment", {})
        if "AWS_S3_PUBLIC_ENDPOINT_URL" in environment:
            environment["AWS_S3_PUBLIC_ENDPOINT_URL"] = f"http://127.0.0.1:{MINIO_PORT}"
        if "FORWARDED_ALLOW_IPS" in environment:
            environment["FORWARDED_ALLOW_IPS"] = SUBNETS[tree]
        # Virtual IPs need the routing mesh, which does not route here: every name resolves to its tasks.
        service["deploy"] = {"endpoint_mode": "dnsrr"}

    setup = picked[f"{tree}-setup"]
    setup["deploy"] = {
        **setup["deploy"],
        "mode": "replicated-job",
        "restart_policy": {"condition": "on-failure", "max_attempts": 10},
    }
    setup["healthcheck"] = {"disable": True}

    web = picked[f"{tree}-web"]
    if web.pop("tmpfs", None):
        web.setdefault("volumes", []).append({"type": "tmpfs", "target": "/tmp"})  # noqa: S108 - the container's own
    web["healthcheck"] = READINESS
    web["stop_grace_period"] = STOP_GRACE_PERIOD
    web["deploy"] = {
        **web["deploy"],
        "replicas": services[f"{tree}-web"]["deploy"]["replicas"],
        "update_config": ROLLOUT,
        "rollback_config": ROLLBACK,
        "restart_policy": {"condition": "any", "delay": "2s"},
    }
    if test:
        web["ports"] = [{"target": 8000, "protocol": "tcp", "mode": "host"}]
        # As compose.test.yaml: through Docker's published ports the whole suite is one client.
        web["environment"]["LOGIN_ATTEMPTS_PER_CLIENT"] = "1000/m"
    if green:
        picked[f"{tree}-web-green"] = {
            **copy.deepcopy(web),
            "image": green,
            "deploy": {**web["deploy"], "replicas": green_replicas},
        }

    lb = picked[f"{tree}-lb"]
    lb["environment"]["NGINX_RESOLVER_VALID"] = "1s"
    # The upstream group serves sticky routing only, which the stacks do not use, and nginx looks its
    # servers up once, at start: the replicas' name there would keep nginx from starting (or reloading)
    # while no replica is healthy. A placeholder that always parses keeps the balancer up meanwhile.
    lb["environment"]["NGINX_UPSTREAM_SERVERS"] = "server 127.0.0.1:8000 down;"
    lb["ports"] = [{"target": 80, "published": PORTS[tree], "protocol": "tcp", "mode": "host"}]
    # A host-mode port can be bound by one task at a time: the old nginx stops before the new one starts.
    lb["deploy"] = {**lb["deploy"], "replicas": 1, "update_config": {"order": "stop-first"}}

    if "minio" in picked:
        picked["minio"]["ports"] = [{"target": 9000, "published": MINIO_PORT, "protocol": "tcp", "mode": "host"}]

    volumes = {
        source: {}
        for service in picked.values()
        for volume in service.get("volumes", [])
        if isinstance(volume, str) and not (source := volume.split(":")[0]).startswith("/")
    }
    return {
        "version": "3.9",
        "services": picked,
        "networks": {
            "default": {"driver": "overlay", "attachable": True, "ipam": {"config": [{"subnet": SUBNETS[tree]}]}}
        },
        "volumes": volumes,
        "configs": configs,
        "secrets": compose_secrets(picked),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", choices=sorted(PORTS))
    parser.add_argument("--test", action="store_true", help="also publish each replica on a random host port")
    parser.add_argument("--green", metavar="IMAGE", help="a second colour of the replicas, <tree>-web-green, on IMAGE")
    parser.add_argument("--green-replicas", type=int, default=2, metavar="N", help="its replicas (default 2)")
    args = parser.parse_args(argv)
    stack_file = stack(args.tree, test=args.test, green=args.green, green_replicas=args.green_replicas)
    yaml.safe_dump(stack_file, sys.stdout, sort_keys=False, width=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
