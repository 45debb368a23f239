"""python -m harness up before-2=8001 after-2=8002   # topologies for browsing, until Ctrl-C (make up)
python -m harness run -- CMD...                    # CMD beside its own redis-server and S3 server (make unit)
python -m harness spread                           # requests per replica through each compose load balancer
python -m harness swarm-up [--test] | swarm-down   # both shops on Docker Swarm (make swarm-up, make swarm-down)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from harness import TOPOLOGIES, Topology, swarm, topology_for
from harness.compose import spread


def up(specs: list[str]) -> None:
    """Keep topologies running for browsing until Ctrl-C: `up before-2=8001 after-2=8002`."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    # A terminal's Ctrl-C reaches the whole process group; `kill` or a closed terminal reaches only us.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    running = []
    try:
        for spec in specs:
            name, _, port = spec.partition("=")
            topology = topology_for(name, database_url=os.environ.get("DATABASE_URL"))
            topology.nginx_port = int(port) if port else None
            running.append(topology.start())
            print(f"{name:>16}: {topology.url}   replicas: {', '.join(r.url for r in topology.replicas)}", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        for topology in running:
            topology.stop()


def run_with_services(command: list[str]) -> int:
    """Run a command with its own redis-server and S3 server, e.g. the trees' in-process tests."""
    topology = Topology("after", 0)
    try:
        topology.services_only()
        return subprocess.call(command, env={**os.environ, **topology.environment()})
    finally:
        topology.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="run topologies until Ctrl-C").add_argument(
        "specs", nargs="+", metavar="NAME=PORT", help=f"NAME is one of {', '.join(TOPOLOGIES)}"
    )
    commands.add_parser("run", help="run a command beside fresh Redis and S3 servers").add_argument(
        "argv", nargs=argparse.REMAINDER
    )
    commands.add_parser("spread", help="how many of 40 requests each compose replica served")
    commands.add_parser("swarm-up", help="both stacks on a one-node swarm, healthy").add_argument(
        "--test", action="store_true", help="also publish each replica on a random host port"
    )
    commands.add_parser("swarm-down", help="both stacks removed, and the swarm if swarm-up initialised it")
    args = parser.parse_args()
    if args.command == "up":
        up(args.specs)
    elif args.command == "run":
        sys.exit(run_with_services(args.argv[1:] if args.argv[:1] == ["--"] else args.argv))
    elif args.command == "swarm-up":
        swarm.up(test=args.test)
    elif args.command == "swarm-down":
        swarm.down()
    else:
        sys.exit(spread())


if __name__ == "__main__":
    main()
