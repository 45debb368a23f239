"""The Swarm stacks run what compose.yaml runs: derived from it by compose/swarm.py (no Docker needed)."""

import importlib.util
import re

import pytest

from harness import ROOT

spec = importlib.util.spec_from_file_location("stack_files", ROOT / "compose" / "swarm.py")
stack_files = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stack_files)
# What `make compose-up` writes into compose/secrets/redis.env: any value will do to read the stacks.
ENVIRON = {name: "a-password" for name in re.findall(r"\$\{(\w+):\?", (ROOT / "compose" / "compose.yaml").read_text())}
COMPOSE = stack_files.compose_services(ENVIRON)
# What the stacks set differently, and why: their own ports, and no fixed address for nginx.
OVERRIDDEN = {"AWS_S3_PUBLIC_ENDPOINT_URL", "FORWARDED_ALLOW_IPS", "NGINX_RESOLVER_VALID", "NGINX_UPSTREAM_SERVERS"}


@pytest.mark.parametrize("tree", ["before", "after"])
def test_each_stack_runs_the_images_commands_and_variables_of_compose(tree):
    """Every service of a shop's stack has compose.yaml's image, command and variable names and values."""
    stack = stack_files.stack(tree, environ=ENVIRON)
    for name, service in stack["services"].items():
        in_compose = COMPOSE[name]
        assert service["image"] == in_compose["image"], name
        assert service.get("command") == in_compose.get("command"), name
        environment, expected = service.get("environment", {}), in_compose.get("environment", {})
        assert set(environment) == set(expected), name
        assert {k: v for k, v in environment.items() if k not in OVERRIDDEN} == {
            k: v for k, v in expected.items() if k not in OVERRIDDEN
        }, name


@pytest.mark.parametrize("tree", ["before", "after"])
def test_each_stack_rolls_out_one_healthy_replica_at_a_time(tree):
    """Replicas are checked on /readyz, replaced start-first one at a time, rolled back on failure, and given
    longer than uvicorn's 20 s of graceful shutdown."""
    web = stack_files.stack(tree, environ=ENVIRON)["services"][f"{tree}-web"]
    update = web["deploy"]["update_config"]

    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    assert (update["order"], update["parallelism"], update["failure_action"]) == ("start-first", 1, "rollback")
    assert web["deploy"]["endpoint_mode"] == "dnsrr"
    assert int(web["stop_grace_period"].rstrip("s")) > 20


@pytest.mark.parametrize("tree", ["before", "after"])
def test_only_nginx_and_minio_publish_ports_and_only_in_host_mode(tree):
    """The routing mesh does not route here: host-mode ports, on the load balancer (and MinIO) only."""
    services = stack_files.stack(tree, environ=ENVIRON)["services"]
    publishing = {name for name, service in services.items() if service.get("ports")}

    assert publishing == {f"{tree}-lb"} | ({"minio"} if tree == "after" else set())
    assert all(port["mode"] == "host" for name in publishing for port in services[name]["ports"])
