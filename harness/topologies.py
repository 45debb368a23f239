"""Every topology the suite, the drills and the benchmarks know, by name."""

from __future__ import annotations

from typing import NamedTuple


class TopologySpec(NamedTuple):
    name: str
    tree: str  # "before" or "after"
    replicas: int
    sticky: bool = False
    # "local": processes on loopback ports that the harness starts (harness/local.py);
    # "compose": the Docker Compose stacks, already running (harness/compose.py);
    # "swarm": the Docker Swarm stacks, already running (harness/swarm.py).
    stack: str = "local"
    # How nginx picks a replica per request: "round-robin" alternates; "random" is nginx before 1.27.3
    # proxying to a DNS name (Swarm's dnsrr), where each request goes to a random address of the answer.
    routing: str = "round-robin"


TOPOLOGIES = {
    spec.name: spec
    for spec in [
        TopologySpec("before-1", "before", 1),
        TopologySpec("before-2", "before", 2),
        TopologySpec("before-2-sticky", "before", 2, sticky=True),
        TopologySpec("after-1", "after", 1),
        TopologySpec("after-2", "after", 2),
        TopologySpec("compose-before-2", "before", 2, stack="compose"),
        TopologySpec("compose-after-2", "after", 2, stack="compose"),
        TopologySpec("swarm-before-2", "before", 2, stack="swarm", routing="random"),
        TopologySpec("swarm-after-2", "after", 2, stack="swarm", routing="random"),
    ]
}
LOCAL_TOPOLOGIES = [name for name, spec in TOPOLOGIES.items() if spec.stack == "local"]
