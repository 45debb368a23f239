"""Docker Compose and the local topologies run the same shops the same way (no Docker needed)."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from harness import NGINX_TEMPLATE, ROOT, Topology, redis_acl

COMPOSE = yaml.safe_load((ROOT / "compose" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
# Set by the replicas' Dockerfile rather than by compose.yaml.
IMAGE_ENVIRONMENT = {"DJANGO_SETTINGS_MODULE", "INSTANCE_DIR"}


def local_topology(sentinel: bool = False) -> Topology:
    topology = Topology("after", 2, sentinel=sentinel)
    topology.redis_port = topology.s3_port = topology.nginx_port = 1
    topology.sentinel_ports = [2, 3, 4] if sentinel else []
    return topology


def template_variables_the_local_topology_fills() -> set[str]:
    topology = local_topology()
    try:
        conf = topology.render_nginx().parent / "conf.d" / "default.conf"
        assert not re.search(r"\$\{\w+\}", conf.read_text()), "the local topology left a variable unrendered"
    finally:
        topology.stop()
    return set(re.findall(r"\$\{(\w+)\}", NGINX_TEMPLATE.read_text()))


def test_both_load_balancers_mount_the_template_the_local_topologies_render():
    """compose/ and the local topologies build nginx from one template file, not two copies."""
    template = NGINX_TEMPLATE.relative_to(ROOT / "compose")
    for name in ("before-lb", "after-lb"):
        assert f"./{template}:/etc/nginx/templates/default.conf.template:ro" in SERVICES[name]["volumes"]


@pytest.mark.parametrize("name", ["before-lb", "after-lb"])
def test_each_load_balancer_sets_exactly_the_variables_the_template_uses(name):
    """Every ${VARIABLE} in the nginx template is set by compose and by the local topologies, and no other."""
    environment = set(SERVICES[name]["environment"])
    # The image's entrypoint turns this switch into NGINX_LOCAL_RESOLVERS (Docker's DNS server).
    environment = environment - {"NGINX_ENTRYPOINT_LOCAL_RESOLVERS"} | {"NGINX_LOCAL_RESOLVERS"}

    assert environment == template_variables_the_local_topology_fills()


@pytest.mark.parametrize("name", ["before-setup", "before-web", "after-setup", "after-web"])
def test_every_shop_container_gets_the_variables_a_local_replica_gets(name):
    """The shop's containers are configured with the same variable names as the local replicas; compose runs Redis
    behind Sentinel, as the local topologies do with sentinel=True."""
    # Locally each replica also gets INSTANCE_DIR and REPLICA_NAME; a container's name is its hostname.
    topology = local_topology(sentinel=True)
    try:
        local = set(topology.environment()) | {"INSTANCE_DIR"}
    finally:
        topology.stop()  # never started: this removes its working directory
    # FORWARDED_ALLOW_IPS is uvicorn's own setting, given on its command line locally.
    in_compose = set(SERVICES[name]["environment"]) - {"FORWARDED_ALLOW_IPS"} | IMAGE_ENVIRONMENT

    assert in_compose == local


def test_the_image_sets_the_variables_this_test_assumes_it_sets():
    """Both shops build from one Dockerfile, which sets the settings module and the instance directory."""
    dockerfile = Path(ROOT / "compose" / "Dockerfile")
    builds = {name: SERVICES[name]["build"] for name in ("before-setup", "before-web", "after-setup", "after-web")}

    assert {(build["context"], build["dockerfile"]) for build in builds.values()} == {("..", "compose/Dockerfile")}
    assert (ROOT / "compose" / builds["before-web"]["context"] / "compose/Dockerfile").resolve() == dockerfile
    assert {name: build["args"]["TREE"] for name, build in builds.items()} == {
        "before-setup": "before",
        "before-web": "before",
        "after-setup": "after",
        "after-web": "after",
    }
    assert not any((ROOT / tree / "Dockerfile").exists() for tree in ("before", "after"))
    text = dockerfile.read_text()
    assert all(re.search(rf"^\s*(ENV\s+)?{name}=", text, re.MULTILINE) for name in IMAGE_ENVIRONMENT)


def test_only_the_load_balancers_and_minio_publish_ports():
    """Replicas, databases and Redis are reachable only inside the compose network."""
    publishing = {name for name, service in SERVICES.items() if service.get("ports")}

    assert publishing == {"before-lb", "after-lb", "minio"}


def test_no_redis_password_is_written_in_compose_yaml():
    """Each purpose's password is interpolated from compose/secrets/redis.env, which `make compose-up` writes
    on first use (gitignored); Redis loads the users' hashes from a secret file beside it."""
    environment = SERVICES["after-web"]["environment"]
    passwords = {name: value for name, value in environment.items() if name.endswith("_PASSWORD")}
    for server in ("redis", "redis-replica"):
        command = SERVICES[server]["command"]
        passwords["REDIS_REPLICATION_PASSWORD"] = command[command.index("--masterauth") + 1]
    passwords["REDIS_SENTINEL_PASSWORD"] = SERVICES["redis-sentinel-1"]["environment"]["REDIS_SENTINEL_PASSWORD"]

    assert set(passwords) == {variable for variable, _ in [*redis_acl.USERS.values(), *redis_acl.SERVERS.values()]}
    assert all(
        value == f"${{{name}:?run make compose-up, which writes compose/secrets/}}" for name, value in passwords.items()
    )
    assert "@" not in environment["REDIS_URL"]
    assert COMPOSE["secrets"]["redis-users"] == {"file": "./secrets/users.acl"}
    assert SERVICES["redis"]["secrets"] == SERVICES["redis-replica"]["secrets"] == ["redis-users"]
    ignored = subprocess.run(["git", "check-ignore", "-q", "compose/secrets/redis.env"], cwd=ROOT)
    assert ignored.returncode == 0


def test_compose_and_the_local_topologies_run_redis_durable_authenticated_and_never_evicting():
    """Both servers, primary and replica: an append-only file fsynced every second, on a volume of its own; no
    eviction; the users' ACL file; and each logs in to a primary as the replication user, as either may be a
    replica after a failover."""
    durable = {
        "--aclfile": "/run/secrets/redis-users",
        "--appendonly": "yes",
        "--appendfsync": "everysec",
        "--save": "",
        "--maxmemory-policy": "noeviction",
        "--masteruser": "shop-replication",
    }
    for server, volume in (("redis", "redis-data"), ("redis-replica", "redis-replica-data")):
        command = SERVICES[server]["command"]
        options = dict(zip(command[1::2], command[2::2], strict=False))

        assert command[0] == "redis-server"
        assert {name: options[name] for name in durable} == durable, server
        assert options["--replica-announce-ip"] == server
        assert f"{volume}:/data" in SERVICES[server]["volumes"]
    assert command[command.index("--replicaof") + 1 :] == ["redis", "6379"]
    source = (ROOT / "harness" / "local.py").read_text()
    for name, value in durable.items():
        if name not in ("--aclfile", "--masteruser"):
            assert f'"{name}", "{value}"' in source
    assert '"--masteruser", user' in source and 'user, variable = "shop-replication"' in source


def test_compose_runs_three_sentinels_with_the_script_the_local_topologies_run():
    """Three Sentinels, each from compose/redis/sentinel.sh, watching the primary by name as the Sentinel user."""
    sentinels = [SERVICES[f"redis-sentinel-{index}"] for index in (1, 2, 3)]

    assert all(sentinel == sentinels[0] for sentinel in sentinels)
    assert sentinels[0]["command"] == ["sh", "/opt/sentinel.sh"]
    assert "./redis/sentinel.sh:/opt/sentinel.sh:ro" in sentinels[0]["volumes"]
    assert sentinels[0]["environment"]["REDIS_PRIMARY_HOST"] == "redis"
    master = sentinels[0]["environment"]["REDIS_SENTINEL_MASTER"]
    assert master == SERVICES["after-web"]["environment"]["REDIS_SENTINEL_MASTER"]
    assert SERVICES["after-web"]["environment"]["REDIS_SENTINELS"].split(",") == [
        f"redis-sentinel-{index}:26379" for index in (1, 2, 3)
    ]
    assert 'SENTINEL_SCRIPT = ROOT / "compose" / "redis" / "sentinel.sh"' in (ROOT / "harness" / "local.py").read_text()
