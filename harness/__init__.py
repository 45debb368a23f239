"""The local stack and the clients that the suite, the drills, the benchmarks and `make up` share.

Where things start:
- `harness.local.Topology`: redis-server, the S3 server, PostgreSQL when asked, N replicas of one
  tree and nginx, as processes on loopback ports (with `sentinel=True`, Redis as a primary, a replica and
  three Sentinels, as compose runs it); `harness.compose.ComposeTopology`: the same shops
  under Docker Compose, already running; `harness.swarm.SwarmTopology`: the same on Docker Swarm.
- `harness.clients`: `Visitor` (pages and forms), `ApiClient` (the JSON API), `LiveSocket` (WebSockets).
- `python -m harness up | run | spread`: the command line (`make up`, `make unit`, `make compose-test`).
"""

from harness.clients import (
    CUSTOMER,
    PASSWORD,
    STAFF,
    ApiClient,
    LiveSocket,
    Visitor,
    a_client_address,
    a_picture,
    live_url,
    picture_colour,
    picture_in,
    product_group,
    with_time_to_spare,
)
from harness.compose import ComposeTopology
from harness.local import BUCKET, NGINX_TEMPLATE, ROOT, Process, Replica, Topology, free_port, redis_acl
from harness.swarm import SwarmTopology
from harness.topologies import LOCAL_TOPOLOGIES, TOPOLOGIES, TopologySpec
from harness.waiting import serves_only, settled, wait_until


def topology_for(spec: TopologySpec | str, **options) -> Topology | ComposeTopology | SwarmTopology:
    """The topology a spec (or its name) describes, not started; `options` go to the local Topology."""
    spec = TOPOLOGIES[spec] if isinstance(spec, str) else spec
    if spec.stack == "compose":
        return ComposeTopology(spec.tree, name=spec.name)
    if spec.stack == "swarm":
        return SwarmTopology(spec.tree, name=spec.name)
    return Topology(spec.tree, spec.replicas, spec.sticky, name=spec.name, **options)


__all__ = [
    "redis_acl",
    "BUCKET",
    "CUSTOMER",
    "LOCAL_TOPOLOGIES",
    "NGINX_TEMPLATE",
    "PASSWORD",
    "ROOT",
    "STAFF",
    "TOPOLOGIES",
    "ApiClient",
    "ComposeTopology",
    "SwarmTopology",
    "LiveSocket",
    "Process",
    "Replica",
    "Topology",
    "TopologySpec",
    "Visitor",
    "a_client_address",
    "a_picture",
    "free_port",
    "live_url",
    "picture_colour",
    "picture_in",
    "product_group",
    "serves_only",
    "settled",
    "topology_for",
    "wait_until",
    "with_time_to_spare",
]
