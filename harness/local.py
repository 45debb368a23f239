"""A topology on one machine: shared services, N replicas of one tree, nginx in front.

Every process is real and listens on a free loopback port: redis-server, an S3 server (moto behind
S3's access rules, harness/s3.py), a PostgreSQL server when asked for one, N uvicorn replicas
each with its own name and its own instance directory (its "container disk"), and nginx rendered
from the template compose/ uses. Every process the topology starts, stop() stops.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from harness import postgres
from harness.waiting import serves_only, wait_until

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "compose" / "nginx" / "default.conf.template"
BUCKET = "shop-media"
# compose/redis/sentinel.sh, which compose runs in the redis image: the local Sentinels run the same script.
SENTINEL_SCRIPT = ROOT / "compose" / "redis" / "sentinel.sh"
SENTINEL_MASTER = "shop"
# The Redis servers behind Sentinel: the first primary, and its replica (roles swap at a failover).
REDIS_SERVERS = ("redis", "redis-replica")
# A tree's SQLite database as migrate left it, once per process: the next topology of the tree copies
# it instead of migrating again (collectstatic, into the tree's own staticfiles/, was done with it).
MIGRATED: dict[Path, Path] = {}


@functools.cache
def migrated_dir() -> Path:
    """Where this process keeps those files; removed when the process exits."""
    path = Path(tempfile.mkdtemp(prefix="shop-migrated-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _compose_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bucket_prepare(environment: dict[str, str]) -> None:
    """compose/bucket.py, which compose runs in a container: the local topologies run the same code."""
    _compose_module("bucket", ROOT / "compose" / "bucket.py").bucket_prepare(environment=environment)


# compose/redis/acl.py: the Redis users compose's Redis loads, and the local ones too.
redis_acl = _compose_module("redis_acl", ROOT / "compose" / "redis" / "acl.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM the child if the test run dies without cleaning up."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def render_template(text: str, variables: dict[str, str]) -> str:
    """Substitute ${NAME} for the given names only, as the official nginx image's envsubst does."""
    return re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), m.group(0)), text)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int | None = None) -> None:
        """Send the stop signal (or `sig`) to the process group, and return at once."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig or self.stop_signal)

    def stop(self, sig: int | None = None, timeout: float = 10.0) -> None:
        if self.popen.poll() is not None:
            return
        self.signal(sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def kill(self) -> None:
        """SIGKILL the process and every process of its group, as the OOM killer or a lost host would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Replica:
    name: str
    port: int
    instance_dir: Path
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Topology:
    """N replicas of one tree behind nginx, with Redis, an S3 server and one database.

    The database is a SQLite file by default; `database="postgres"` starts a PostgreSQL server of the
    topology's own, and `database_url` names a server elsewhere instead (a fresh database is made on it
    and dropped again). `tree_dir` runs another copy of the tree, e.g. a workshop step.

    `sentinel=True` runs Redis as compose/ does: a primary, a replica of it and three Sentinels, which the
    replicas ask where the primary is (REDIS_SENTINELS); kill_redis_primary() is a failover.

    `password_hashers` is the replicas' PASSWORD_HASHERS (Django's own list when None): the behavioral
    suite names Django's MD5 hasher for tests, as a password hash costs a core half a second otherwise.
    """

    tree: str
    replicas_wanted: int = 2
    sticky: bool = False
    name: str = ""
    database: str = "sqlite"
    database_url: str | None = None
    tree_dir: Path | None = None
    sentinel: bool = False
    password_hashers: list[str] | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="shop-topology-")))
    nginx_port: int | None = None
    redis_port: int | None = None
    s3_port: int | None = None
    # With sentinel: each Redis server's port by name (REDIS_SERVERS), and the Sentinels' ports.
    redis_ports: dict[str, int] = field(default_factory=dict)
    sentinel_ports: list[int] = field(default_factory=list)
    nginx: Process | None = None
    replicas: list[Replica] = field(default_factory=list)
    services: list[Process] = field(default_factory=list)
    _generation: int = 0
    _server_url: str | None = None
    _s3_objects: dict = field(default_factory=dict)
    # A password per Redis user (compose/redis/acl.py), made for this topology.
    redis_passwords: dict[str, str] = field(default_factory=redis_acl.passwords_new)
    # To measure a variant of the tree beside it (bench/layers.py): more variables for every replica, and more Redis
    # users in compose/redis/acl.py's form, {name: (password variable, rules)}, each with a password of its own.
    more_environment: dict[str, str] = field(default_factory=dict)
    more_redis_users: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for variable, _ in self.more_redis_users.values():
            self.redis_passwords.setdefault(variable, secrets.token_urlsafe(24))
        self.name = self.name or f"{self.tree}-{self.replicas_wanted}" + ("-sticky" if self.sticky else "")
        self.tree_dir = Path(self.tree_dir or ROOT / self.tree)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Topology:
        try:
            self._start_redis()
            if self.sentinel:
                self._start_redis_replica_and_sentinels()
            # Independent of each other: the S3 server starting, and the database being migrated. Only the
            # waiting is another thread's: a child is signalled when the thread that spawned it ends
            # (PR_SET_PDEATHSIG), so every process is spawned from this one.
            s3 = self._spawn_s3()
            with ThreadPoolExecutor(1) as pool:
                s3_ready = pool.submit(self._s3_ready, s3)
                self._prepare_database()
                s3_ready.result()
            # Each replica seeds in turn (one writer on the database), and boots while the next one seeds.
            for _ in range(self.replicas_wanted):
                self.replicas.append(self._spawn_replica())
            for replica in self.replicas:
                self._wait_ready(replica)
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def services_only(self) -> Topology:
        """Redis and the S3 server alone, e.g. beside a tree's in-process tests."""
        self._start_redis()
        if self.sentinel:
            self._start_redis_replica_and_sentinels()
        self._start_s3()
        return self

    def stop(self) -> None:
        for replica in self.replicas:  # every replica shuts down at once, then each is waited for
            replica.process.signal()
        for replica in self.replicas:
            replica.process.stop()
        self.replicas.clear()
        if self._server_url:
            with contextlib.suppress(Exception):  # the server may be gone already; its directory goes below
                self._drop_postgres_database()
            self._server_url = None
        for process in reversed(self.services):
            process.stop()
        self.services.clear()
        self.nginx = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Topology:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def replica(self, index: int) -> Replica:
        """Replica A is 0, B is 1; on one replica, A and B are the same process."""
        return self.replicas[index % len(self.replicas)]

    def pids(self) -> list[int]:
        """Every process the topology runs: replicas, then services."""
        return [replica.pid for replica in self.replicas] + [service.pid for service in self.services]

    # -- what operators do, and what happens to them -------------------------------------------

    def kill(self, index: int) -> None:
        """SIGKILL replica `index` (and its process group); it stays in the list, dead, until replace()."""
        self.replicas[index].process.kill()

    def replace(self, index: int) -> Replica:
        """What the orchestrator does next: a fresh replica, with a fresh disk, in the place of `index`."""
        old = self.replicas[index]
        self.replicas[index] = self._start_replica()
        self.reload_nginx()
        old.process.stop()
        return self.replicas[index]

    def redeploy(self) -> None:
        """Replace every replica, one at a time, by a fresh one with a fresh instance directory."""
        for index in range(len(self.replicas)):
            self.replace(index)

    def scale_to(self, count: int) -> None:
        while len(self.replicas) < count:
            self.replicas.append(self._start_replica())
        while len(self.replicas) > count:
            self.replicas.pop().process.stop()
        self.reload_nginx()

    def stop_service(self, name: str) -> None:
        """An outage of a shared service, "redis" or "s3"; start_service brings it back on the same port."""
        process = self._service(name)
        if name == "redis":
            # A clean stop, as an operator's (or SIGTERM's): SHUTDOWN SAVE fsyncs the AOF and writes a
            # snapshot, so nothing is lost. A crash does neither: kill_service("redis") is that case, where
            # what the last fsync (appendfsync everysec) had not reached is gone.
            password = self.redis_passwords[redis_acl.ADMIN[1]]
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=5) as s:
                s.sendall(f"AUTH {redis_acl.ADMIN[0]} {password}\r\nSHUTDOWN SAVE\r\n".encode())
            process.popen.wait(10)
        else:
            # moto keeps objects in memory; MinIO keeps them on its volume. Carry them over.
            self._s3_objects = self._s3_snapshot()
        process.stop()
        self.services.remove(process)

    def kill_service(self, name: str) -> None:
        """SIGKILL a shared service, as the OOM killer or a lost host would; start_service brings it back."""
        process = self._service(name)
        process.kill()
        self.services.remove(process)

    def start_service(self, name: str) -> None:
        if self.sentinel and name in REDIS_SERVERS:
            # Back as a replica of whichever server is primary now, as Sentinel would reconfigure it anyway.
            self._start_redis_server(name, self.redis_ports[name], replica_of=self.redis_ports[self.redis_primary()])
        elif name == "redis":
            self._start_redis(port=self.redis_port)
        else:
            self._start_s3(port=self.s3_port)
            self._s3_restore(self._s3_objects)

    def redis_primary(self) -> str:
        """Which Redis server is the primary now ("redis" or "redis-replica"), as the Sentinels answer the shop."""
        if not self.sentinel:
            return "redis"
        import redis

        for port in self.sentinel_ports:
            try:
                with redis.Redis(port=port, socket_timeout=1) as sentinel:
                    address = sentinel.sentinel_get_master_addr_by_name(SENTINEL_MASTER)
            except redis.RedisError:
                continue
            if address:
                return next(name for name, p in self.redis_ports.items() if p == int(address[1]))
        raise RuntimeError("no Sentinel answered")

    def kill_redis_primary(self) -> str:
        """SIGKILL the Redis server that is primary now, as a lost host would; returns its name (for start_service)."""
        name = self.redis_primary()
        self.kill_service(name)
        return name

    def failed_over(self, killed: str) -> bool:
        """Sentinel names a primary other than `killed`, and that server says it is one."""
        if self.redis_primary() == killed:
            return False
        with self.redis_client(socket_timeout=1) as primary:
            return primary.role()[0] == b"master"

    def manage(self, *args: str, instance_dir: Path | None = None) -> str:
        """`manage.py <args>` of the tree with the replicas' environment, as an operator runs it; its output."""
        instance_dir = instance_dir or self.workdir / "setup"
        env = {**os.environ, **self.environment(), "INSTANCE_DIR": str(instance_dir), "REPLICA_NAME": "setup"}
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.tree_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    # -- clients of the shared services --------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """One set of variables for every replica of both trees (compose/ uses the same names)."""
        return {
            "SECRET_KEY": "topology-secret-key-shared-by-every-replica-0123456789",
            "JWT_SIGNING_KEY": "topology-jwt-signing-key-shared-by-every-replica-0123456789",
            "DATABASE_URL": self.database_url or f"sqlite:///{self.workdir / 'db.sqlite3'}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            **(
                {
                    "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports),
                    "REDIS_SENTINEL_MASTER": SENTINEL_MASTER,
                }
                if self.sentinel
                else {}
            ),
            # Every purpose's Redis password; not admin's, which no replica gets.
            **{variable: self.redis_passwords[variable] for variable, _ in redis_acl.USERS.values()},
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "AWS_S3_PUBLIC_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_ACCESS_KEY_ID": "shop",
            "AWS_SECRET_ACCESS_KEY": "shop-secret-key",
            "AWS_S3_REGION_NAME": "us-east-1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **{variable: self.redis_passwords[variable] for variable, _ in self.more_redis_users.values()},
            **self.more_environment,
            **({"PASSWORD_HASHERS": ",".join(self.password_hashers)} if self.password_hashers else {}),
        }

    def s3_client(self, **config):
        """A boto3 client with the shop's own credentials and its storage's settings (config/settings.py);
        `config` adds to botocore's Config."""
        import boto3
        from botocore.config import Config

        env = self.environment()
        shop = {
            "signature_version": "s3v4",
            "s3": {"addressing_style": "path"},
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
        return boto3.client(
            "s3",
            endpoint_url=env["AWS_S3_ENDPOINT_URL"],
            region_name=env["AWS_S3_REGION_NAME"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(**{**shop, **config}),
        )

    def redis_client(self, user: str = redis_acl.ADMIN[0], *, server: str | None = None, **options):
        """A client of the topology's Redis as one of its users (compose/redis/acl.py): admin unless told; of the
        primary unless `server` names a Redis server."""
        import redis

        variable = redis_acl.ADMIN[1] if user == redis_acl.ADMIN[0] else redis_acl.USERS[user][0]
        port = self.redis_ports[server or self.redis_primary()] if self.sentinel else self.redis_port
        return redis.Redis(port=port, username=user, password=self.redis_passwords[variable], **options)

    @property
    def redis_admin_url(self) -> str:
        return f"redis://{redis_acl.ADMIN[0]}:{self.redis_passwords[redis_acl.ADMIN[1]]}@127.0.0.1:{self.redis_port}/0"

    # -- nginx ---------------------------------------------------------------------------------

    def render_nginx(self) -> Path:
        """Write nginx's configuration for the current replicas (the compose template, rendered); its path."""
        conf_d = self.workdir / "nginx" / "conf.d"
        conf_d.mkdir(parents=True, exist_ok=True)
        servers = " ".join(f"server 127.0.0.1:{r.port};" for r in self.replicas)
        variables = {
            "NGINX_PORT": str(self.nginx_port),
            "NGINX_UPSTREAM_SERVERS": servers,
            "NGINX_STICKY": "on" if self.sticky else "off",
            "NGINX_BACKEND": "shop",
            "NGINX_CANARY": "",
            # Unused here (the upstream group needs no look-up), but the template names it.
            "NGINX_LOCAL_RESOLVERS": "127.0.0.1",
            "NGINX_RESOLVER_VALID": "5s",
        }
        (conf_d / "default.conf").write_text(render_template(NGINX_TEMPLATE.read_text(), variables))
        main = self.workdir / "nginx" / "nginx.conf"
        main.write_text(
            "worker_processes 1;\n"
            # Each proxied WebSocket takes two connections: room for the benchmarks' 1,000 pages, and files for them.
            "worker_rlimit_nofile 8192;\n"
            f"pid {self.workdir / 'nginx' / 'nginx.pid'};\n"
            "error_log stderr warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            "  access_log off;\n"
            f"  client_body_temp_path {self.workdir / 'nginx'}/client_body;\n"
            f"  proxy_temp_path {self.workdir / 'nginx'}/proxy;\n"
            f"  fastcgi_temp_path {self.workdir / 'nginx'}/fastcgi;\n"
            f"  uwsgi_temp_path {self.workdir / 'nginx'}/uwsgi;\n"
            f"  scgi_temp_path {self.workdir / 'nginx'}/scgi;\n"
            f"  include {conf_d}/*.conf;\n"
            "}\n"
        )
        return main

    def reload_nginx(self) -> None:
        """Render the configuration again and reload nginx; returns once it serves only the current replicas."""
        if self.nginx is None:
            return
        self.render_nginx()
        self.nginx.popen.send_signal(signal.SIGHUP)
        serves_only(self.url, {r.name for r in self.replicas}, what="nginx reload")

    # -- the parts -----------------------------------------------------------------------------

    def _service(self, name: str) -> Process:
        return next(p for p in self.services if p.name == name)

    def _spawn(self, name: str, argv: list[str], *, cwd: Path | None = None, env: dict | None = None) -> Process:
        log = self.workdir / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads are started before this
            )
        return Process(name, popen, log)

    def _wait_for(self, process: Process, check, what: str, deadline: float = 30.0) -> None:
        def alive_and_ready():
            if process.popen.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.popen.returncode}:\n{process.tail()}")
            return check()

        try:
            wait_until(alive_and_ready, what=what, deadline=deadline)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{process.tail()}") from None

    def _start_redis(self, port: int | None = None) -> None:
        self.redis_port = port or free_port()
        self._start_redis_server("redis", self.redis_port)

    def _start_redis_server(self, name: str, port: int, replica_of: int | None = None) -> None:
        data = self.workdir / name
        data.mkdir(parents=True, exist_ok=True)
        acl = self.workdir / "redis-users.acl"
        acl.write_text(redis_acl.acl_file(self.redis_passwords, self.more_redis_users))
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)]
        # As compose/compose.yaml runs it: its users, an append-only file fsynced every second, no eviction.
        durable = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"]
        if self.sentinel:
            # Either server may be a replica some day (Sentinel repoints a primary that comes back): both log in so.
            user, variable = "shop-replication", redis_acl.SERVERS["shop-replication"][0]
            durable += ["--masteruser", user, "--masterauth", self.redis_passwords[variable]]
        if replica_of:
            durable += ["--replicaof", "127.0.0.1", str(replica_of)]
        process = self._spawn(name, [*argv, "--aclfile", str(acl), *durable])
        self.services.append(process)
        self.redis_ports[name] = port

        def ping():
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        self._wait_for(process, ping, name)

    def _start_redis_replica_and_sentinels(self) -> None:
        """The replica, then three Sentinels (compose/redis/sentinel.sh) watching the primary; returns once each
        Sentinel knows the replica and the two others, so a failover can be decided and has somewhere to go."""
        self._start_redis_server("redis-replica", free_port(), replica_of=self.redis_port)
        replica = self.redis_client(server="redis-replica")
        wait_until(lambda: replica.info("replication")["master_link_status"] == "up", what="Redis replication")
        replica.close()
        for index in range(1, 4):
            port, directory = free_port(), self.workdir / f"sentinel-{index}"
            directory.mkdir()
            env = {
                "REDIS_SENTINEL_MASTER": SENTINEL_MASTER,
                "REDIS_PRIMARY_HOST": "127.0.0.1",
                "REDIS_PRIMARY_PORT": str(self.redis_port),
                "REDIS_SENTINEL_PASSWORD": self.redis_passwords[redis_acl.SERVERS["shop-sentinel"][0]],
                "SENTINEL_DIR": str(directory),
            }
            argv = ["sh", str(SENTINEL_SCRIPT), "--port", str(port), "--bind", "127.0.0.1"]
            self.services.append(self._spawn(f"sentinel-{index}", argv, env=env))
            self.sentinel_ports.append(port)

        def every_sentinel_knows_everyone():
            import redis

            for port in self.sentinel_ports:
                with redis.Redis(port=port, socket_timeout=1) as sentinel:
                    master = sentinel.sentinel_master(SENTINEL_MASTER)
                if master["num-slaves"] < 1 or master["num-other-sentinels"] < 2:
                    return False
            return True

        for process in self.services[-3:]:
            self._wait_for(process, every_sentinel_knows_everyone, "Redis Sentinel", deadline=60)

    def _start_s3(self, port: int | None = None) -> None:
        self._s3_ready(self._spawn_s3(port))

    def _spawn_s3(self, port: int | None = None) -> Process:
        self.s3_port = port or free_port()
        env = self.environment()
        argv = [sys.executable, "-m", "harness.s3", "--port", str(self.s3_port)]
        argv += ["--access-key", env["AWS_ACCESS_KEY_ID"], "--secret-key", env["AWS_SECRET_ACCESS_KEY"]]
        process = self._spawn("s3", argv, cwd=ROOT)
        self.services.append(process)
        return process

    def _s3_ready(self, process: Process) -> None:
        url = f"http://127.0.0.1:{self.s3_port}"
        self._wait_for(process, lambda: requests.get(url, timeout=1).status_code < 500, "S3 server")
        bucket_prepare(self.environment())

    def _start_postgres(self) -> None:
        """A server of the topology's own; stop() stops it with the other services."""
        data = self.workdir / "postgres"
        postgres.initdb(data)
        port = free_port()
        process = self._spawn("postgres", postgres.server_argv(data, port))
        process.stop_signal = postgres.STOP_SIGNAL
        self.services.append(process)
        self.database_url = f"postgres://postgres@127.0.0.1:{port}/postgres"

        def accepting():
            import psycopg

            with psycopg.connect(self.database_url, connect_timeout=1):
                return True

        self._wait_for(process, accepting, "PostgreSQL", deadline=60)

    def _s3_snapshot(self) -> dict[str, tuple[bytes, str]]:
        client = self.s3_client()
        objects = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=BUCKET, Key=item["Key"])
                objects[item["Key"]] = (body["Body"].read(), body["ContentType"])
        return objects

    def _s3_restore(self, objects: dict[str, tuple[bytes, str]]) -> None:
        client = self.s3_client()
        for key, (data, content_type) in objects.items():
            client.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType=content_type)

    def _prepare_database(self) -> None:
        if self.database == "postgres" and not self.database_url:
            self.workdir.chmod(0o711)  # the server's user must reach its directory inside
            self._start_postgres()
        if self.database_url and self.database_url.startswith(("postgres://", "postgresql://")):
            self._create_postgres_database()
        sqlite = None if self.database_url else self.workdir / "db.sqlite3"
        if sqlite and self.tree_dir in MIGRATED:
            shutil.copyfile(MIGRATED[self.tree_dir], sqlite)
            return
        self.manage("migrate", "--no-input")
        # What the image build does: static files are part of the release, not state.
        self.manage("collectstatic", "--no-input")
        if sqlite:
            template = migrated_dir() / f"{len(MIGRATED)}-{self.tree_dir.name}.sqlite3"
            shutil.copyfile(sqlite, template)
            MIGRATED[self.tree_dir] = template

    def _create_postgres_database(self) -> None:
        """A fresh database on the server, dropped again by stop()."""
        import psycopg

        server, _, _ = self.database_url.rpartition("/")
        name = f"shop_{self.tree}_{os.getpid()}_{free_port()}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._server_url, self.database_url = server, f"{server}/{name}"

    def _drop_postgres_database(self) -> None:
        import psycopg

        name = self.database_url.rpartition("/")[2]
        with psycopg.connect(f"{self._server_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _start_replica(self) -> Replica:
        replica = self._spawn_replica()
        self._wait_ready(replica)
        return replica

    def _spawn_replica(self) -> Replica:
        """A replica seeded and started, not yet known to answer (_wait_ready)."""
        self._generation += 1
        name = f"{self.tree}-replica-{self._generation}"
        instance_dir = self.workdir / "replicas" / name
        instance_dir.mkdir(parents=True)
        # Idempotent: each replica seeds at start, as each container does, so its own disk gets the demo images.
        # Without the system checks (seconds of stateless_checks reading every module): migrate ran them,
        # with the same settings but for the ports and passwords.
        self.manage("seed_shop", "--skip-checks", instance_dir=instance_dir)
        port = free_port()
        env = {**self.environment(), "INSTANCE_DIR": str(instance_dir), "REPLICA_NAME": name}
        argv = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
        options = ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--no-access-log", "--lifespan", "off"]
        options += ["--ws-per-message-deflate", "false"]  # as compose/Dockerfile: messages too small to compress
        process = self._spawn(name, [*argv, *options, "--timeout-graceful-shutdown", "5"], cwd=self.tree_dir, env=env)
        return Replica(name, port, instance_dir, process)

    def _wait_ready(self, replica: Replica) -> None:
        url = f"{replica.url}/healthz"
        self._wait_for(replica.process, lambda: requests.get(url, timeout=1).status_code == 200, replica.name)

    def _start_nginx(self) -> None:
        self.nginx_port = self.nginx_port or free_port()
        # Started as root, nginx's workers run as nobody and must reach their temp dirs to buffer any
        # body over 16 KB; mkdtemp's 0700 would make every such request a 500.
        self.workdir.chmod(0o711)
        main = self.render_nginx()
        argv = ["nginx", "-p", str(main.parent), "-c", str(main), "-e", "stderr", "-g", "daemon off;"]
        self.nginx = self._spawn("nginx", argv)
        self.services.append(self.nginx)
        self._wait_for(self.nginx, lambda: requests.get(f"{self.url}/healthz", timeout=1).status_code == 200, "nginx")
