"""The shops on Docker Swarm, one stack each (compose/swarm.py derives them from compose/compose.yaml).

python -m harness swarm-up [--test]   # a one-node swarm if there is none, both stacks, healthy (make swarm-up)
python -m harness swarm-down          # both stacks gone, and the swarm too if `up` initialised it

`SwarmTopology` is the suite's swarm-* topologies, with ComposeTopology's interface. With --test every
replica also publishes :8000 on a random port of the host (host mode, as Swarm's routing mesh does
not route here); `docker inspect` of each task tells which, so tests log in on replica A and read on
replica B. A redeploy is Swarm's rolling update (`docker service update --force`), a scale-out
`docker service scale`: both return once Swarm reports the service converged.

Blue/green and canary add a second colour of the replicas, `<tree>-web-green` (the same service with
another image, on the same Redis, S3 and database), and move traffic with `route()`: nginx's template
rendered again inside the running load balancer, by the image's own entrypoint, and a graceful reload.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass, field

import requests

from harness.local import ROOT
from harness.waiting import serves_only, wait_until


def _stack_files():
    """compose/swarm.py, which lives next to the compose files it reads."""
    spec = importlib.util.spec_from_file_location("stack_files", ROOT / "compose" / "swarm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stack_files = _stack_files()

TREES = ("before", "after")
# Written by `up` when it ran `docker swarm init`, so that `down` leaves the machine as it found it.
INITIALISED = ROOT / ".results" / "swarm-initialised"


def docker(*args: str, timeout: float = 300, input: str | None = None) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, input=input)
    if result.returncode:
        raise RuntimeError(f"docker {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def stack_name(tree: str) -> str:
    return f"shop-{tree}"


@dataclass
class SwarmReplica:
    name: str  # what X-Served-By says: the task container's hostname
    task: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class SwarmTopology:
    """The running tasks of `shop-<tree>_<tree>-web` behind `shop-<tree>_<tree>-lb`."""

    tree: str
    name: str = ""
    replicas: list[SwarmReplica] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.name or f"swarm-{self.tree}-2"

    @property
    def service(self) -> str:
        return f"{stack_name(self.tree)}_{self.tree}-web"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{stack_files.PORTS[self.tree]}"

    @property
    def green(self) -> str:
        return f"{self.service}-green"

    @property
    def backend(self) -> str:
        """What nginx proxies to when nothing is switched: the replicas' DNS name (compose.yaml's NGINX_BACKEND)."""
        return f"{self.tree}-web:8000"

    @property
    def green_backend(self) -> str:
        return f"{self.tree}-web-green:8000"

    def start(self) -> SwarmTopology:
        wait_until(
            lambda: requests.get(f"{self.url}/healthz", timeout=2).ok,
            what=f"{self.tree} load balancer on {self.url} (start the stacks with `make swarm-up`)",
            deadline=20,
        )
        self._find_replicas()
        return self

    def stop(self) -> None:
        """The stacks outlive the suite: `make swarm-test` takes them down."""

    def __enter__(self) -> SwarmTopology:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def replica(self, index: int) -> SwarmReplica:
        return self.replicas[index % len(self.replicas)]

    def redeploy(self) -> None:
        """Replace every task, one at a time, each new one healthy before an old one stops."""
        docker("service", "update", "--quiet", "--force", "--detach=false", self.service, timeout=600)
        self._find_replicas()
        self.wait_for_load_balancer()

    def scale_to(self, count: int) -> None:
        docker("service", "scale", "--detach=false", f"{self.service}={count}", timeout=600)
        self._find_replicas(count)
        self.wait_for_load_balancer()

    def deploy_green(self, image: str, replicas: int) -> list[SwarmReplica]:
        """The second colour beside the first, with `image`, and its tasks once each is ready. Deployed as part
        of the stack (the first colour's spec is unchanged, so Swarm leaves its tasks alone)."""
        stack = stack_files.stack(self.tree, test=True, green=image, green_replicas=replicas)
        docker(
            "stack", "deploy", "--compose-file", "-", stack_name(self.tree),
            input=stack_files.yaml.safe_dump(stack, sort_keys=False),
        )  # fmt: skip
        return self.ready_tasks(self.green, replicas)

    def remove_green(self) -> None:
        docker("service", "rm", self.green)
        label = f"label=com.docker.swarm.service.name={self.green}"
        wait_until(
            lambda: not docker("container", "ls", "--all", "--quiet", "--filter", label).split(),
            what=f"{self.green}'s containers gone",
            deadline=120,
            interval=0.5,
        )

    def route(self, backend: str | None = None, canary: str = "") -> None:
        """Point nginx at `backend` (default: the first colour), with `canary` ("10% <backend>;") on top: the
        template rendered again by the image's entrypoint with these two values, checked, then a graceful
        reload. Open connections stay on the old workers until they close."""
        lb = docker("ps", "--quiet", "--filter", f"label=com.docker.swarm.service.name={self.lb_service}").split()
        if len(lb) != 1:
            raise RuntimeError(f"{self.lb_service}: expected one running container, found {lb}")
        backend = backend or self.backend
        # A task is in Swarm's DNS a moment after it turns healthy: switch once the balancer's own
        # resolver returns every task of each name it is to send requests to.
        for name in {backend, *canary.split()[1:2]}:
            host = name.rstrip(";").split(":")[0]
            service = f"{stack_name(self.tree)}_{host}"
            wanted = json.loads(docker("service", "inspect", service))[0]["Spec"]["Mode"]["Replicated"]["Replicas"]
            wait_until(
                lambda h=host, n=wanted: len(addresses(lb[0], h)) == n,
                what=f"{host} resolving to its {wanted} tasks in the balancer",
                deadline=30,
                interval=0.2,
            )
        values = ["-e", f"NGINX_BACKEND={backend}", "-e", f"NGINX_CANARY={canary}"]
        docker("exec", *values, lb[0], "/docker-entrypoint.sh", "nginx", "-t", "-q")
        docker("exec", lb[0], "nginx", "-s", "reload")

    @property
    def lb_service(self) -> str:
        return f"{stack_name(self.tree)}_{self.tree}-lb"

    def _find_replicas(self, count: int | None = None) -> None:
        wanted = (
            count or json.loads(docker("service", "inspect", self.service))[0]["Spec"]["Mode"]["Replicated"]["Replicas"]
        )
        self.replicas = self.ready_tasks(self.service, wanted)

    def ready_tasks(self, service: str, wanted: int) -> list[SwarmReplica]:
        """The `wanted` running tasks of `service`, once each answers /readyz on its published port."""
        return wait_until(
            lambda: self._ready_replicas(service, wanted), what=f"{wanted} ready {service} tasks", deadline=180
        )

    def _ready_replicas(self, service: str, wanted: int) -> list[SwarmReplica] | None:
        tasks = docker("service", "ps", "--quiet", "--filter", "desired-state=running", service).split()
        replicas = []
        for task in json.loads(docker("inspect", *tasks)) if tasks else []:
            ports = task["Status"].get("PortStatus", {}).get("Ports", [])
            port = next((p["PublishedPort"] for p in ports if p["TargetPort"] == 8000), None)
            if task["Status"]["State"] != "running" or port is None:
                return None
            response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if not response.ok:
                return None
            replicas.append((task["Slot"], SwarmReplica(response.headers["X-Served-By"], task["ID"], port)))
        if len(replicas) != wanted:
            return None
        # By slot, as compose numbers its containers: a task added by a scale-out comes last.
        return [replica for _, replica in sorted(replicas, key=lambda pair: pair[0])]

    def wait_for_load_balancer(self) -> None:
        """nginx looks the replicas' name up every second: wait until it sends traffic to these only."""
        serves_only(self.url, {r.name for r in self.replicas}, what=f"{self.tree} load balancer after the deploy")


def addresses(container: str, host: str) -> set[str]:
    """The IPv4 addresses `host` resolves to inside `container` (getent fails while it resolves to none)."""
    return {line.split()[0] for line in docker("exec", container, "getent", "ahostsv4", host).splitlines()}


def swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip()


def up(*, test: bool = False) -> None:
    if swarm_state() != "active":
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        INITIALISED.parent.mkdir(parents=True, exist_ok=True)
        INITIALISED.write_text("make swarm-down leaves the swarm: `make swarm-up` initialised it\n")
    for tree in TREES:
        stack = stack_files.yaml.safe_dump(stack_files.stack(tree, test=test), sort_keys=False)
        docker("stack", "deploy", "--prune", "--compose-file", "-", stack_name(tree), input=stack)
    for tree in TREES:
        topology = SwarmTopology(tree)
        setup = f"{stack_name(tree)}_{tree}-setup"
        try:
            wait_until(
                lambda s=setup: "Complete" in docker("service", "ps", "--format", "{{.CurrentState}}", s),
                what=f"{setup} (migrations and demo data)",
                deadline=300,
                interval=1,
            )
            wait_until(
                lambda t=topology: requests.get(f"{t.url}/readyz", timeout=2).ok,
                what=f"{tree} stack on {topology.url}",
                deadline=240,
                interval=0.5,
            )
        except TimeoutError:
            print(docker("stack", "ps", "--no-trunc", stack_name(tree)), file=sys.stderr)
            raise
        print(f"{tree}/: {topology.url}")


def removed(kind: str, ids: list[str]) -> bool:
    """`docker <kind> rm`, where one already gone counts as removed (Swarm removes networks on its own time)."""
    try:
        docker(kind, "rm", *ids)
    except RuntimeError as exc:
        if "not found" not in str(exc) and "No such" not in str(exc):
            raise
        leftover = [i for i in ids if i in docker(kind, "ls", *(["--all"] if kind == "container" else []), "--quiet")]
        return not leftover
    return True


def down() -> None:
    try:
        if swarm_state() == "active":
            remove_stacks()
    finally:
        # Left as it was found, whatever went wrong above.
        if INITIALISED.exists():
            docker("swarm", "leave", "--force")
            INITIALISED.unlink()


def remove_stacks() -> None:
    for tree in TREES:
        docker("stack", "rm", stack_name(tree))
    # `docker stack rm` returns at once; its containers, networks and then volumes go after.
    labels = [f"label=com.docker.stack.namespace={stack_name(tree)}" for tree in TREES]
    for label in labels:
        wait_until(
            lambda f=label: not docker("container", "ls", "--quiet", "--filter", f).split(),
            what="the stacks' containers stopped",
            deadline=120,
            interval=0.5,
        )
        # Swarm leaves the exited containers of a finished job (the setup) behind.
        for kind in ("container", "network", "volume"):
            leftover = docker(kind, "ls", *(["--all"] if kind == "container" else []), "--quiet", "--filter", label)
            if leftover.split():
                ids = leftover.split()
                wait_until(
                    lambda k=kind, ids=ids: removed(k, ids),
                    what=f"the stacks' {kind}s removed",
                    deadline=60,
                    interval=0.5,
                )
