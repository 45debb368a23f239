"""Capacity past one machine: how far one Redis goes before it is the bottleneck, from figures measured in one run.

`measure(shop, ...)` runs on after/'s running topology (bench/run.py calls it after scale-out):
- per hot path: wrk through nginx on after×2, with Redis' own counters read before and after each run (INFO
  stats, cpu and commandstats) and the CPU time of every process on the request's way (/proc/<pid>/stat):
  Redis commands, bytes and Redis CPU per request, beside the replicas' CPU per request;
- saturation: redis-benchmark (Debian's redis-tools, beside redis-server) sends GET and SET with a
  session-sized value to the same Redis, as fast as 50 connections can: Redis' CPU per command when many
  commands wait at once (under the shop's lighter load here, each one wakes Redis on its own);
- sessions: MEMORY USAGE of a real session key after sign-up and with a filled cart, and how much
  used_memory grows per copy of that session;
- this machine: the cart page through nginx on 1, 2 and 3 replicas.
`model(capacity)` turns those figures into the capacity model, `block(results)` into the Markdown block
docs/benchmarks.md holds, and `plot(results, path)` into the PNG beside it (matplotlib's Agg backend).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import resource
import secrets
import statistics
import subprocess
from pathlib import Path

from bench.load import PATHS, Shop, cpu_seconds, wrk
from harness import Topology, Visitor, redis_acl

# The model's traffic: these paths in equal parts. Not login: it is rare, its cost is the password hash
# (the request-cost block has its 14 Redis commands), and a run of a few seconds completes too few logins
# for the commands of those still under way when wrk stops not to count.
MIX = ("product", "cart_page", "cart_add", "api_read")
SCALE_PATH = "cart_page"
REPLICA_COUNTS = (1, 2, 3)
CART_LINES = 10
# A database of its own for redis-benchmark's keys and the session copies, emptied afterwards.
SCRATCH_DB = 15
BENCHMARK_CLIENTS = 50


# -- what the processes on a request's way spent -----------------------------------------------------


def redis_counters(redis) -> dict:
    """Redis' own totals: bytes in and out, CPU seconds (the main thread, which runs every command, and the
    whole process), and calls and microseconds per command, INFO's own left out."""
    info = redis.info("stats", "cpu", "commandstats")
    commands = {name.removeprefix("cmdstat_"): stats for name, stats in info.items() if name.startswith("cmdstat_")}
    commands.pop("info", None)
    return {
        "in": info["total_net_input_bytes"],
        "out": info["total_net_output_bytes"],
        "cpu_main": info["used_cpu_user_main_thread"] + info["used_cpu_sys_main_thread"],
        "cpu": info["used_cpu_user"] + info["used_cpu_sys"],
        "calls": {name: stats["calls"] for name, stats in commands.items()},
        "usec": {name: stats["usec"] for name, stats in commands.items()},
    }


def counters_delta(before: dict, after: dict, overhead: dict) -> dict:
    """What happened between two readings, less what the reading itself costs in bytes (`overhead`)."""
    calls = {name: n - before["calls"].get(name, 0) for name, n in after["calls"].items()}
    return {
        "redis_in_bytes": after["in"] - before["in"] - overhead["in"],
        "redis_out_bytes": after["out"] - before["out"] - overhead["out"],
        "redis_cpu_main_s": after["cpu_main"] - before["cpu_main"],
        "redis_cpu_s": after["cpu"] - before["cpu"],
        "redis_calls": {name: n for name, n in sorted(calls.items()) if n},
        "redis_usec": sum(usec - before["usec"].get(name, 0) for name, usec in after["usec"].items()),
    }


def reading_overhead(redis) -> dict:
    """The bytes one reading adds to the next: its command in, its reply out. Two readings in a row."""
    first, second = redis_counters(redis), redis_counters(redis)
    return {"in": second["in"] - first["in"], "out": second["out"] - first["out"]}


def nginx_workers(pid: int) -> list[int]:
    """nginx's current workers: the processes whose parent is `pid`, from /proc, less those a reload left
    shutting down (they exit once their last connection closes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                if parent == pid and b"shutting down" not in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def cpu_of(pids: list[int], earlier: dict[int, float] | None = None) -> dict[int, float]:
    """{pid: CPU seconds}; a process gone since `earlier` keeps its earlier figure."""
    figures = {}
    for pid in pids:
        try:
            figures[pid] = cpu_seconds(pid)
        except FileNotFoundError:
            figures[pid] = (earlier or {}).get(pid, 0.0)
    return figures


def machine_cpu() -> float:
    """CPU seconds every core of the machine has been busy, all processes alike (/proc/stat, steal included)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = Path("/proc/stat").read_text().split()[1:9]
    return sum(int(x) for x in (user, nice, system, irq, softirq, steal)) / os.sysconf("SC_CLK_TCK")


def finished_children_cpu() -> float:
    """CPU seconds of the child processes this one has waited for: wrk's, read around its run."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured_run(shop: Shop, path: str, *, seconds: int, connections: int, overhead: dict) -> dict:
    """wrk on `path` through nginx, and what Redis, each replica, nginx and wrk itself spent meanwhile."""
    topology = shop.topology
    request = shop.request(path, base=topology.url)
    replicas = [replica.pid for replica in topology.replicas]
    nginx = [topology.nginx.pid, *nginx_workers(topology.nginx.pid)]
    with topology.redis_client() as redis:
        before = redis_counters(redis)
        replicas_before = [cpu_seconds(pid) for pid in replicas]
        nginx_before = cpu_of(nginx)
        wrk_before, machine_before = finished_children_cpu(), machine_cpu()
        figures = wrk(request, seconds=seconds, connections=connections)
        wrk_after, machine_after = finished_children_cpu(), machine_cpu()
        nginx_after = cpu_of(nginx, nginx_before)
        replicas_after = [cpu_seconds(pid) for pid in replicas]
        after = redis_counters(redis)
    return {
        **figures,
        **counters_delta(before, after, overhead),
        "replicas_cpu_s": [b - a for a, b in zip(replicas_before, replicas_after, strict=True)],
        "nginx_cpu_s": sum(nginx_after.values()) - sum(nginx_before.values()),
        "wrk_cpu_s": wrk_after - wrk_before,
        "machine_cpu_s": machine_after - machine_before,
    }


def summary(run: dict) -> str:
    n = run["requests"]
    return (
        f"{run['rps']:7.1f} req/s  Redis {sum(run['redis_calls'].values()) / n:.2f} commands, "
        f"{(run['redis_in_bytes'] + run['redis_out_bytes']) / n:.0f} B, {1e6 * run['redis_cpu_main_s'] / n:.1f} µs; "
        f"replicas {1000 * sum(run['replicas_cpu_s']) / n:.2f} ms per request"
    )


# -- the parts -----------------------------------------------------------------------------------------


def paths_under_load(shop: Shop, *, rounds: int, seconds: int, connections: int, overhead: dict) -> dict:
    runs: dict[str, list[dict]] = {path: [] for path in MIX}
    for round_number in range(rounds):
        for path in MIX:
            run = measured_run(shop, path, seconds=seconds, connections=connections, overhead=overhead)
            runs[path].append(run)
            print(f"  round {round_number + 1} {path:<9} {summary(run)}", flush=True)
    return runs


def on_replica_counts(shop: Shop, *, rounds: int, seconds: int, connections: int, overhead: dict) -> dict:
    """The cart page through nginx on 1, 2 and 3 replicas, the order reversed every round; ends on two."""
    topology = shop.topology
    runs: dict[str, list[dict]] = {str(count): [] for count in REPLICA_COUNTS}
    for round_number in range(rounds):
        for count in REPLICA_COUNTS if round_number % 2 == 0 else REPLICA_COUNTS[::-1]:
            if len(topology.replicas) != count:
                topology.scale_to(count)
                # Discarded, as in scale-out: the old nginx worker closes the connections it still holds.
                wrk(shop.request(SCALE_PATH, base=topology.url), seconds=1, connections=1, socket_errors_ok=True)
            run = measured_run(shop, SCALE_PATH, seconds=seconds, connections=connections, overhead=overhead)
            runs[str(count)].append(run)
            print(f"  round {round_number + 1} after-{count}   {summary(run)}", flush=True)
    if len(topology.replicas) != 2:
        topology.scale_to(2)
    return runs


def session_key(redis, visitor: Visitor) -> str:
    """The Redis key that holds this visitor's session (its cookie's value, behind the cache's prefixes)."""
    cookie = visitor.http.cookies["sessionid"]
    keys = list(redis.scan_iter(match=f"*{cookie}", count=1000))
    assert len(keys) == 1, f"expected one key for the session cookie, found {len(keys)}"
    return keys[0].decode()


def footprint(redis, key: str) -> dict:
    return {
        "memory_usage": redis.memory_usage(key, samples=0),
        "value_bytes": redis.strlen(key),
        "key_bytes": len(key),
        "ttl_s": redis.ttl(key),
    }


def sessions(shop: Shop, *, copies: int) -> dict:
    """A visitor signs up and fills a cart of CART_LINES products; the session's footprint after each step,
    then `copies` copies of it under fresh keys of the same length, and used_memory's growth per copy."""
    topology = shop.topology
    staff = Visitor(topology.url).log_in_as_staff()
    products = [staff.create_product(stock=1_000_000)[0] for _ in range(CART_LINES)]
    visitor = Visitor(topology.url)
    visitor.sign_up()
    with topology.redis_client() as redis, topology.redis_client(db=SCRATCH_DB) as scratch:
        key = session_key(redis, visitor)
        signed_up = footprint(redis, key)
        for product in products:
            assert visitor.add_to_cart(product).status_code == 302, "cart add failed"
        assert len(visitor.cart()) == CART_LINES, "the cart does not show every line"
        assert session_key(redis, visitor) == key, "the session changed its key"
        filled = footprint(redis, key)
        value, ttl = redis.get(key), redis.ttl(key)
        prefix = key[: -len(visitor.http.cookies["sessionid"])]
        scratch.flushdb()
        used_before = redis.info("memory")["used_memory"]
        for start in range(0, copies, 1000):
            with scratch.pipeline(transaction=False) as pipe:
                for _ in range(min(1000, copies - start)):
                    pipe.set(prefix + secrets.token_hex(16), value, ex=ttl)  # 32 characters, as Django's keys
                pipe.execute()
        used_after = redis.info("memory")["used_memory"]
        scratch.flushdb()
    return {
        "signed_up": signed_up,
        "filled": filled,
        "cart_lines": CART_LINES,
        "copies": copies,
        "used_memory_per_copy": (used_after - used_before) / copies,
    }


def saturation(topology: Topology, *, value_bytes: int, requests: int) -> dict:
    """redis-benchmark's SET then GET of `value_bytes`-byte values on 10,000 keys from BENCHMARK_CLIENTS
    connections, then GET from one connection (a tenth of the requests), each with Redis' CPU meanwhile."""
    user, variable = redis_acl.ADMIN[0], redis_acl.ADMIN[1]
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(topology.redis_port), "--user", user]
    argv += ["-a", topology.redis_passwords[variable], "--dbnum", str(SCRATCH_DB)]
    argv += ["-d", str(value_bytes), "-r", "10000", "--csv"]
    runs = (("set", BENCHMARK_CLIENTS, requests), ("get", BENCHMARK_CLIENTS, requests), ("get", 1, requests // 10))
    results = []
    with topology.redis_client() as redis, topology.redis_client(db=SCRATCH_DB) as scratch:
        scratch.flushdb()
        overhead = reading_overhead(redis)
        for command, clients, n in runs:
            before = redis_counters(redis)
            run = [*argv, "-c", str(clients), "-n", str(n), "-t", command]
            result = subprocess.run(run, capture_output=True, text=True, timeout=300)
            after = redis_counters(redis)
            rows = list(csv.DictReader(io.StringIO(result.stdout)))
            if result.returncode or not rows:
                raise RuntimeError(f"redis-benchmark -t {command} failed:\n{result.stdout}\n{result.stderr}")
            delta = counters_delta(before, after, overhead)
            ops_per_s = float(rows[0]["rps"])
            calls = delta["redis_calls"].get(command, 0)
            results.append(
                {
                    "command": command,
                    "clients": clients,
                    "ops_per_s": ops_per_s,
                    "calls": calls,
                    "redis_cpu_main_s": delta["redis_cpu_main_s"],
                    "redis_usec": delta["redis_usec"],
                    "seconds": calls / ops_per_s,
                }
            )
            print(f"  redis-benchmark {command}, {clients} connection(s): {ops_per_s:,.0f} ops/s", flush=True)
        scratch.flushdb()
    return {"value_bytes": value_bytes, "clients": BENCHMARK_CLIENTS, "runs": results}


def measure(shop: Shop, *, rounds: int, seconds: int, connections: int) -> dict:
    """Every part on after/'s running topology, which it leaves on two replicas."""
    load_at_start = os.getloadavg()
    # Discarded, as after every scaling: the part before this one scaled (and reloaded) nginx, whose old
    # worker closes the connections it still holds.
    wrk(shop.request(SCALE_PATH, base=shop.topology.url), seconds=1, connections=1, socket_errors_ok=True)
    with shop.topology.redis_client() as redis:
        overhead = reading_overhead(redis)
    figures = {
        "connections": connections,
        "seconds": seconds,
        "rounds": rounds,
        "cores": os.cpu_count(),
        "paths": paths_under_load(shop, rounds=rounds, seconds=seconds, connections=connections, overhead=overhead),
        "replicas": on_replica_counts(shop, rounds=rounds, seconds=seconds, connections=connections, overhead=overhead),
        "sessions": sessions(shop, copies=5_000 * seconds),
    }
    value_bytes = figures["sessions"]["filled"]["value_bytes"]
    figures["saturation"] = saturation(shop.topology, value_bytes=value_bytes, requests=50_000 * seconds)
    figures["load_average"] = [list(load_at_start), list(os.getloadavg())]
    return figures


# -- the model -----------------------------------------------------------------------------------------


def duration(run: dict) -> float:
    return run["requests"] / run["rps"]


def idle_rate(capacity: dict) -> float:
    """Redis' main-thread CPU seconds per second with no command to run (its timers, the append-only file's
    housekeeping): from the API read's runs, which make no Redis command."""
    runs = capacity["paths"]["api_read"]
    return sum(run["redis_cpu_main_s"] for run in runs) / sum(duration(run) for run in runs)


def per_request(runs: list[dict], idle: float) -> dict:
    """Every run's totals over every run's requests, Redis' main thread less its idle rate; req/s is the
    median run's."""
    n = sum(run["requests"] for run in runs)
    calls: dict[str, int] = {}
    for run in runs:
        for name, count in run["redis_calls"].items():
            calls[name] = calls.get(name, 0) + count
    return {
        "requests": n,
        "rps": statistics.median(run["rps"] for run in runs),
        "calls": {name: count / n for name, count in sorted(calls.items())},
        "commands": sum(calls.values()) / n,
        "in_bytes": sum(run["redis_in_bytes"] for run in runs) / n,
        "out_bytes": sum(run["redis_out_bytes"] for run in runs) / n,
        "redis_exec_us": sum(run["redis_usec"] for run in runs) / n,
        "redis_us": 1e6 * sum(run["redis_cpu_main_s"] - idle * duration(run) for run in runs) / n,
        "redis_process_us": 1e6 * sum(run["redis_cpu_s"] for run in runs) / n,
        "replica_ms": 1000 * sum(sum(run["replicas_cpu_s"]) for run in runs) / n,
        "nginx_ms": 1000 * sum(run["nginx_cpu_s"] for run in runs) / n,
        "wrk_ms": 1000 * sum(run["wrk_cpu_s"] for run in runs) / n,
        "machine_ms": 1000 * sum(run["machine_cpu_s"] for run in runs) / n,
    }


def bounds(row: dict, saturated_us: dict[str, float]) -> dict:
    """One replica's req/s on a core of its own, and one Redis': from its CPU per request under the shop's
    load, and from its CPU per command at 50 connections (redis-benchmark). Commands redis-benchmark did not
    run (HELLO, when a pool opens a connection) are priced as a SET; None where they are over 5% of the row's."""
    replica_rps = 1000 / row["replica_ms"]
    redis_rps = 1e6 / row["redis_us"] if row["commands"] and row["redis_us"] > 0 else None
    others = sum(calls for name, calls in row["calls"].items() if name not in saturated_us)
    busy_us = sum(calls * saturated_us.get(name, saturated_us["set"]) for name, calls in row["calls"].items())
    busy_rps = 1e6 / busy_us if busy_us and others <= 0.05 * row["commands"] else None
    return {
        **row,
        "replica_rps": replica_rps,
        "redis_rps": redis_rps,
        "redis_busy_rps": busy_rps,
        "replicas_at_bound": redis_rps / replica_rps if redis_rps else None,
        "replicas_at_busy_bound": busy_rps / replica_rps if busy_rps else None,
        "mb_per_s_at_bound": (row["in_bytes"] + row["out_bytes"]) * redis_rps / 1e6 if redis_rps else None,
    }


def model(capacity: dict) -> dict:
    saturated_us = {
        run["command"]: 1e6 * run["redis_cpu_main_s"] / run["calls"]
        for run in capacity["saturation"]["runs"]
        if run["clients"] == BENCHMARK_CLIENTS
    }
    idle = idle_rate(capacity)
    rows = {path: per_request(runs, idle) for path, runs in capacity["paths"].items()}
    # Equal parts of each path: the mean of their per-request figures.
    mix = {key: statistics.fmean(rows[path][key] for path in MIX) for key in rows[MIX[0]] if key != "calls"}
    names = {name for path in MIX for name in rows[path]["calls"]}
    mix["calls"] = {name: statistics.fmean(rows[path]["calls"].get(name, 0) for path in MIX) for name in sorted(names)}
    modelled = {path: bounds(row, saturated_us) for path, row in rows.items()}
    modelled["mix"] = bounds(mix, saturated_us)
    scale = {int(count): per_request(runs, idle) for count, runs in capacity["replicas"].items()}
    one = bounds(scale[min(scale)], saturated_us)
    for count, row in scale.items():
        row["total_ms"] = row["replica_ms"] + row["nginx_ms"] + row["wrk_ms"] + row["redis_process_us"] / 1000
        row["machine_rps"] = capacity["cores"] * 1000 / row["total_ms"]
        row["others_ms"] = row["machine_ms"] - row["total_ms"]
        row["model_rps"] = count * one["replica_rps"]
    session = capacity["sessions"]
    return {
        "idle_us_per_s": 1e6 * idle,
        "paths": modelled,
        "saturated_us": saturated_us,
        "scale": scale,
        "scale_one": one,
        "gib_per_million": session["filled"]["memory_usage"] * 1e6 / 2**30,
        "gib_per_million_measured": session["used_memory_per_copy"] * 1e6 / 2**30,
    }


# -- the block and the plot ----------------------------------------------------------------------------


def thousands(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def block(results: dict) -> str:
    from bench.report import table  # here, not at the top: bench/report.py imports this module

    capacity = results["capacity"]
    figures = model(capacity)
    paths, scale, session = figures["paths"], figures["scale"], capacity["sessions"]
    mix, sat = paths["mix"], capacity["saturation"]
    (load_start, load_end) = capacity["load_average"]
    setup = (
        f"wrk through nginx on after×2, {capacity['connections']} connections, {capacity['seconds']} s per run, "
        f"{capacity['rounds']} round(s); load average "
        f"{', '.join(f'{x:.2f}' for x in load_start)} at the start, {', '.join(f'{x:.2f}' for x in load_end)} "
        f"at the end. Redis' main thread spent {figures['idle_us_per_s']:.0f} µs per second with no command to "
        "run (during the API read's runs, which make none): taken off every path's Redis CPU."
    )
    rows = []
    for path, row in paths.items():
        label = "**mix: the first four in equal parts**" if path == "mix" else PATHS[path][0]
        commands = ", ".join(f"{name} {calls:.2f}" for name, calls in row["calls"].items()) or "none"
        rows.append(
            [
                label,
                f"{row['commands']:.2f} ({commands})",
                f"{row['in_bytes']:.0f} / {row['out_bytes']:.0f}",
                f"{row['redis_exec_us']:.1f}",
                f"{row['redis_us']:.1f}",
                f"{row['replica_ms']:.2f}",
                f"{row['replica_rps']:.0f}",
                thousands(row["redis_rps"]),
                thousands(row["redis_busy_rps"]),
                thousands(row["replicas_at_bound"]),
                thousands(row["replicas_at_busy_bound"]),
            ]
        )
    heads = [
        "path",
        "Redis commands per request",
        "bytes to / from Redis",
        "Redis µs in commands",
        "**Redis CPU µs** (main thread)",
        "**replica CPU ms**",
        "req/s one replica core serves",
        "**req/s one Redis serves**, at its CPU per request here",
        "req/s one Redis serves, at its CPU per command under 50 connections",
        "**replica cores at that bound**",
        "replica cores, at 50 connections",
    ]
    per_path = table(heads, "l" + "r" * 10, rows)

    bench_rows = [
        [
            run["command"].upper(),
            run["clients"],
            f"{run['ops_per_s']:,.0f}",
            f"{1e6 * run['redis_cpu_main_s'] / run['calls']:.2f}",
            f"{run['calls'] / run['redis_cpu_main_s']:,.0f}",
            f"{run['redis_cpu_main_s'] / run['seconds']:.0%}",
        ]
        for run in sat["runs"]
    ]
    heads = ["command", "connections", "ops/s", "Redis CPU µs per command", "commands per Redis core-second"]
    busy = table([*heads, "Redis' main thread busy"], "lrrrrr", bench_rows)

    signed, filled = session["signed_up"], session["filled"]
    memory_rows = [
        [label, f["key_bytes"], f["value_bytes"], f["memory_usage"], f"{f['ttl_s'] / 86400:.0f}"]
        for label, f in (("after sign-up", signed), (f"with a cart of {session['cart_lines']} lines", filled))
    ]
    memory = table(["session", "key bytes", "value bytes", "MEMORY USAGE bytes", "TTL, days"], "lrrrr", memory_rows)

    one = figures["scale_one"]
    scale_rows = [
        [
            f"after-{count}",
            f"{row['rps']:.0f}",
            f"{row['model_rps']:.0f}",
            f"{row['replica_ms']:.2f}",
            f"{row['redis_process_us'] / 1000:.3f}",
            f"{row['nginx_ms']:.2f}",
            f"{row['wrk_ms']:.2f}",
            f"{row['total_ms']:.2f}",
            f"{row['machine_rps']:.0f}",
            f"{row['others_ms']:.2f}",
        ]
        for count, row in sorted(scale.items())
    ]
    machine = table(
        [
            "topology",
            "req/s measured",
            "req/s modelled (replicas × one core's)",
            "replicas CPU ms",
            "Redis",
            "nginx",
            "wrk",
            "all, ms per request",
            f"req/s {capacity['cores']} cores allow these processes",
            "other processes on the machine, CPU ms per request",
        ],
        "lrrrrrrrrr",
        scale_rows,
    )
    headline = (
        f"The mix: one Redis serves **{thousands(mix['redis_rps'])} req/s** from its CPU per request under this "
        f"load ({thousands(mix['redis_busy_rps'])} at its CPU per command under 50 connections), the work of "
        f"**{thousands(mix['replicas_at_bound'])} replica cores** ({thousands(mix['replicas_at_busy_bound'])}), "
        f"moving {mix['mb_per_s_at_bound']:.0f} MB/s to and from Redis. Sessions: "
        f"**{figures['gib_per_million']:.2f} GiB per million** by MEMORY USAGE, "
        f"{figures['gib_per_million_measured']:.2f} GiB by used_memory's growth over "
        f"{session['copies']:,} copies ({session['used_memory_per_copy']:.0f} bytes each)."
    )
    return "\n\n".join(
        [
            setup,
            per_path,
            f"redis-benchmark on the same Redis, values of {sat['value_bytes']} bytes (the filled session's), "
            "on 10,000 keys:",
            busy,
            memory,
            f"The {PATHS[SCALE_PATH][0]} on this machine; CPU ms per request by process (Redis' whole process), "
            f"one replica's core modelled at {one['replica_rps']:.0f} req/s (after-1's replica CPU per request):",
            machine,
            headline,
        ]
    )


def plot(results: dict, path: Path) -> Path:
    """Requests/s against replicas: this machine's measured line and the model's, then the model out to
    where one Redis is the bottleneck."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    capacity = results["capacity"]
    figures = model(capacity)
    scale, one = figures["scale"], figures["scale_one"]
    counts = sorted(scale)
    measured = [scale[count]["rps"] for count in counts]
    fig, (here, far) = plt.subplots(1, 2, figsize=(13, 5.5), dpi=100)

    here.plot(counts, measured, "o-", color="tab:blue", label="measured through nginx")
    here.plot(
        counts,
        [scale[c]["model_rps"] for c in counts],
        "s--",
        color="tab:orange",
        label="model: replicas × one replica's core",
    )
    here.plot(
        counts,
        [scale[c]["machine_rps"] for c in counts],
        ":",
        color="tab:gray",
        label=f"what {capacity['cores']} cores allow replicas, Redis, nginx and wrk alone",
    )
    here.set(
        xlabel="replicas of after/",
        ylabel="requests/s",
        xticks=counts,
        ylim=(0, None),
        title=f"{PATHS[SCALE_PATH][0]}, this machine ({capacity['cores']} cores)",
    )
    here.legend(loc="upper left", fontsize="small")
    here.grid(alpha=0.3)

    bound, busy = one["redis_rps"], one["redis_busy_rps"]
    knee = max(one["replicas_at_busy_bound"] or 0, one["replicas_at_bound"] or 0, 10)
    replicas = [1 * (4 * knee) ** (i / 200) for i in range(201)]
    for cap, style, label, at in (
        (bound, "-", "Redis at its CPU per request here", one["replicas_at_bound"]),
        (busy, ":", "Redis at its CPU per command, 50 connections", one["replicas_at_busy_bound"]),
    ):
        if cap:
            far.plot(
                replicas,
                [min(n * one["replica_rps"], cap) for n in replicas],
                style,
                color="tab:orange",
                label=f"{label}:\n{cap:,.0f} req/s from {at:,.0f} replicas",
            )
    far.plot(counts, measured, "o", color="tab:blue", label="measured here")
    far.set(
        xscale="log",
        yscale="log",
        xlabel="replicas, one core each",
        ylabel="requests/s",
        title="the model: where one Redis is the bottleneck",
    )
    far.legend(loc="upper left", fontsize="small")
    far.grid(alpha=0.3, which="both")

    load = ", ".join(f"{x:.2f}" for x in capacity["load_average"][0])
    title = f"{results['command']}, {results['finished']} UTC, load average {load}: requests/s against replicas"
    fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
