"""A PostgreSQL server of the run's own: initdb into a temporary directory, on a free loopback port.

Debian's postgresql package puts initdb and postgres in /usr/lib/postgresql/<version>/bin, off PATH.
PostgreSQL refuses to run as root, so as root the server runs as the package's `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
from pathlib import Path


def postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found: `make system` installs PostgreSQL from the distribution")
    return found


def as_server_user(argv: list[str], directory: Path) -> list[str]:
    """The command as the `postgres` user when we are root (owning `directory`), else as it is."""
    if os.geteuid() != 0:
        return argv
    shutil.chown(directory, "postgres", "postgres")
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]


def initdb(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    argv = [postgres_bin("initdb"), "-D", str(directory), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]
    result = subprocess.run(as_server_user(argv, directory), capture_output=True, text=True, timeout=120)
    if result.returncode:
        raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")


def server_argv(directory: Path, port: int) -> list[str]:
    """The server in the foreground: fsync off, as befits a throwaway test database."""
    argv = [
        postgres_bin("postgres"),
        "-D",
        str(directory),
        "-p",
        str(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={directory}",
        "-c",
        "fsync=off",
        "-c",
        "full_page_writes=off",
    ]
    return as_server_user(argv, directory)


# SIGTERM asks PostgreSQL to wait for its clients to leave; SIGINT is its fast shutdown.
STOP_SIGNAL = signal.SIGINT
