"""The figures and tables of a run, as the Markdown blocks docs/benchmarks.md holds between its markers.

`blocks(results)` gives {name: body}; bench/run.py writes each into the page with harness.pages, or
`standalone(results)` puts them all in one file. The prose that says how to read them is the page's own.
"""

from __future__ import annotations

import statistics

from bench import capacity
from bench.load import PATHS

TITLES = {
    # block name: its heading in a standalone file
    "bench-run": "Run",
    "bench-glance": "At a glance",
    "bench-machine": "Machine and versions",
    "bench-cost": "Request cost: one replica of each tree",
    "bench-api-read": "Where the API read's time goes",
    "bench-gc": "Garbage collector",
    "bench-live": "Live updates on after×2",
    "bench-fan-out": "Fan-out",
    "bench-uploads": "Uploads: replica memory and throughput",
    "bench-scale": "Scale-out: after×1 and after×2",
    "bench-capacity": "Capacity past one machine",
    "bench-broker": "The fan-out broker: channels_redis' two layers",
}
# Blocks on a page of their own; every other block is on docs/benchmarks.md.
PAGES = {"bench-broker": "04-live-updates.md"}
COST_TARGET = 1.05


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def ratio_of(before_runs: list[dict], after_runs: list[dict], key: str) -> float:
    """The median of each round's after/before ratio: drift across rounds cancels out within a round."""
    return statistics.median(a[key] / b[key] for a, b in zip(after_runs, before_runs, strict=True))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(value: float) -> str:
    return f"{value:.2f}"


def table(heads: list[str], align: str, rows: list[list]) -> str:
    """`align` has one letter per column: l or r."""

    def line(cells: list) -> str:
        return "|" + "|".join(f" {cell} " if cell != "" else " " for cell in cells) + "|"

    rule = "|" + "|".join("---" if a == "l" else "--:" for a in align) + "|"
    return "\n".join([line(heads), rule, *(line(row) for row in rows)])


def blocks(results: dict) -> dict[str, str]:
    return {
        "bench-run": f"The last run took {results['took']:.0f} s, on {results['finished']} UTC.",
        "bench-glance": glance(results),
        "bench-machine": table(["", ""], "ll", [[name, value] for name, value in results["machine"].items()]),
        "bench-cost": cost(results),
        "bench-api-read": api_read_parts(results["api_read_parts"]),
        "bench-gc": garbage_collector(results["gc"]),
        "bench-live": live(results["live"]),
        "bench-fan-out": fan_out(results["live"]),
        "bench-uploads": uploads(results["uploads"]),
        "bench-scale": scale(results),
        "bench-capacity": capacity.block(results),
        "bench-broker": broker(results["broker"]),
    }


def standalone(results: dict) -> str:
    """Every block under a heading of its own, for a run that leaves docs/ alone (make bench-smoke)."""
    parts = [
        f"# Benchmarks: `{results['command']}`",
        "docs/benchmarks.md says how to read each table; these are the same blocks from this run.",
    ]
    parts += [f"## {TITLES[name]}\n\n{body}" for name, body in blocks(results).items()]
    return "\n\n".join(parts) + "\n"


def glance(results: dict) -> str:
    runs, live, scale = results["cost"], results["live"], results["scale"]
    ratios = {
        PATHS[path][0]: tuple(ratio_of(r["before"], r["after"], key) for key in ("p50", "cpu_ms_per_request"))
        for path, r in runs.items()
    }
    over = [f"{label} {p50:.2f} / {cpu:.2f}" for label, (p50, cpu) in ratios.items() if max(p50, cpu) > COST_TARGET]
    growth = max(
        run["growth_mb"]
        for by_target in results["uploads"].values()
        for target, target_runs in by_target.items()
        if target.startswith("after/") and "413" in target
        for run in target_runs
    )
    met = f"not met on {len(over)} of {len(ratios)} paths: {'; '.join(over)}" if over else "met on every path"
    return table(
        ["target", "measured here"],
        "ll",
        [
            [
                f"p50 and CPU per request after/before at most {COST_TARGET:.2f} on every path",
                f"{met} (p50 / CPU)",
            ],
            [
                f"live updates, {live['clients']} clients on after×2: cross-replica p99 under 25 ms",
                f"{percentile(live['publish'], 0.99):.1f} ms (p50 {percentile(live['publish'], 0.5):.1f} ms), "
                f"{live['deliveries_per_s']:.0f} deliveries/s",
            ],
            [
                "a 50 MB upload through after/ grows the replica by at most 16 MB",
                f"{growth:.1f} MiB ({next(iter(results['uploads']))}, all received and parsed before the 413)",
            ],
            [
                "CPU per request does not grow with replicas (after×2 / after×1)",
                f"{ratio_of(scale['after-1'], scale['after-2'], 'cpu_ms_per_request'):.2f}",
            ],
        ],
    )


def cost(results: dict) -> str:
    settings, counts = results["settings"], results["counts"]
    setup = (
        f"wrk, 1 thread, {settings['connections']} connections, {settings['seconds']} s per run "
        f"({2 * settings['seconds']} s for login), {settings['rounds']} round(s); "
        + ("the replica being measured on a core of its own." if results["pinned"] else "everything on one core.")
    )
    rows = []
    for path, (label, _) in PATHS.items():
        b, a = results["cost"][path]["before"], results["cost"][path]["after"]
        cb, ca = counts["before"][path], counts["after"][path]
        commands = ", ".join(f"{name} ×{calls}" for name, calls in ca["commands"].items()) or "none"
        rows.append(
            [
                label,
                f"{median_of(b, 'rps'):.0f}",
                f"{median_of(a, 'rps'):.0f}",
                ms(median_of(b, "p50")),
                ms(median_of(a, "p50")),
                ms(median_of(b, "p99")),
                ms(median_of(a, "p99")),
                f"**{ratio_of(b, a, 'p50'):.2f}**",
                f"{ratio_of(b, a, 'p99'):.2f}",
                f"{ratio_of(b, a, 'rps'):.2f}",
                f"{median_of(b, 'cpu_ms_per_request'):.2f} / {median_of(a, 'cpu_ms_per_request'):.2f}",
                f"**{ratio_of(b, a, 'cpu_ms_per_request'):.2f}**",
                f"{cb['sql']} / {ca['sql']}",
                f"{cb['redis']} / {ca['redis']} ({commands})",
            ]
        )
    heads = [
        "path",
        "before req/s",
        "after req/s",
        "before p50",
        "after p50",
        "before p99",
        "after p99",
        "**p50 after/before**",
        "p99 after/before",
        "req/s after/before",
        "CPU ms per request before / after",
        "**CPU after/before**",
        "SQL before / after",
        "Redis before / after",
    ]
    return setup + "\n\n" + table(heads, "l" + "r" * 13, rows)


def api_read_parts(parts: dict) -> str:
    b, a = parts["before"], parts["after"]
    b_rest, a_rest = b["request"] - b["check"], a["request"] - a["check"]

    def row(label, before, after):
        if before is None:
            return [label, "none", f"{after:.0f}", f"+{after:.0f}", ""]
        return [label, f"{before:.0f}", f"{after:.0f}", f"{after - before:+.0f}", f"{after / before:.2f}"]

    rows = [
        row("the API read through Django's ASGI handler, in one process", b["request"], a["request"]),
        row("the same, after/ checking as before/ does (no signature, no join)", b["request"], a["plain_check"]),
        row("the same GET without a token (401)", b["request_without_token"], a["request_without_token"]),
        row("the API read less its token check", b_rest, a_rest),
        row("the token check: the token, then its user in one SQL query", b["check"], a["check"]),
        row("… of which verifying the JWT (signature, expiry, audience, issuer)", b["verify"], a["verify"]),
        row("the check's SQL query, run by the database driver alone", b["query_sql"], a["query_sql"]),
        row("the same SQL through `User.objects.raw()`: no query to build", b["query_raw"], a["query_raw"]),
    ]
    return table(["CPU µs per call", "before", "after", "after − before", "after/before"], "lrrrr", rows)


def garbage_collector(gc: dict) -> str:
    rows = [
        [label, fmt(gc["before"][key]), fmt(gc["after"][key])]
        for label, key, fmt in (
            ("objects frozen at start", "frozen", "{:,}".format),
            ("objects a full collection walks", "tracked", "{:,}".format),
            ("one full collection, ms", "full_ms", "{:.1f}".format),
            ("one full collection with nothing frozen, ms", "unfrozen_full_ms", "{:.1f}".format),
        )
    ]
    return table(["", "before", "after"], "lrr", rows)


def live(live: dict) -> str:
    clients = live["clients"]
    rows = [
        [name, len(latencies), ms(percentile(latencies, 0.5)), ms(percentile(latencies, 0.99))]
        for name, latencies in (
            ("publish → every client", live["publish"]),
            ("staff change on B → every client", live["staff"]),
        )
    ]
    return (
        f"{clients} clients, {clients // 2} on each replica.\n\n"
        + table(["messages", "deliveries", "p50 ms", "p99 ms"], "lrrr", rows)
        + f"\n\nThroughput: {live['burst_messages']} messages published back to back reached all {clients}"
        f" clients at **{live['deliveries_per_s']:.0f} deliveries/s**."
    )


def fan_out(live: dict) -> str:
    rows = [
        [f"{size} ({int(size) // 2})", len(latencies), ms(percentile(latencies, 0.5)), ms(percentile(latencies, 0.99))]
        for size, latencies in live["fan_out"].items()  # keys are strings once read back from JSON
    ]
    return table(["clients (per replica)", "deliveries", "p50 ms", "p99 ms"], "lrrr", rows)


def uploads(uploads: dict) -> str:
    rows = []
    for label, by_target in uploads.items():
        for target, runs in by_target.items():
            growth = f"{max(run['growth_mb'] for run in runs):.1f}" if "growth_mb" in runs[0] else "n/a"
            rows.append([label, target, f"{median_of(runs, 'mb_per_s'):.1f}", growth])
    return table(["upload", "sent to: answer", "MB/s (median)", "RSS growth, MiB (max)"], "llrr", rows)


def scale(results: dict) -> str:
    settings, scale = results["settings"], results["scale"]
    setup = (
        f"wrk with {settings['scale_connections']} connections, {settings['seconds']} s per run, "
        f"{settings['rounds']} round(s)."
    )
    rows = [
        [
            name,
            f"{median_of(runs, 'rps'):.0f}",
            ms(median_of(runs, "p50")),
            ms(median_of(runs, "p99")),
            " + ".join(f"{seconds:.2f}" for seconds in runs[-1]["cpu"]),
            f"{median_of(runs, 'cpu_ms_per_request'):.2f}",
        ]
        for name, runs in scale.items()
    ]
    heads = ["topology", "req/s", "p50 ms", "p99 ms", "CPU s per replica (last run)", "CPU ms per request"]
    ratio = ratio_of(scale["after-1"], scale["after-2"], "cpu_ms_per_request")
    return f"{setup}\n\n{table(heads, 'lrrrrr', rows)}\n\nCPU per request after×2 / after×1: **{ratio:.2f}**."


BROKER_P99_TARGET_MS = 50


def broker(broker: dict) -> str:
    """bench/broker.py's figures: one column per layer, one row per measure."""
    layers = {
        "pubsub": "pub/sub (after/'s `live.layers.RedisPubSubChannelLayer`)",
        "core": "core (`RedisChannelLayer`)",
    }
    measured = dict(layers)
    if "floor" in broker:  # the publish rows alone: two bare WebSocket servers in the replicas' place
        floor = "floor: two bare WebSocket servers (`bench/floor_server.py`), no Django, Channels or Redis"
        layers = {**layers, "floor": floor}
    # Each layer's fan_out is keyed by audience size: ints from a run, strings once read back from JSON.
    broker = {
        **broker,
        **{
            name: {**broker[name], "fan_out": {str(k): v for k, v in broker[name]["fan_out"].items()}}
            for name in layers
        },
    }
    sizes = sorted({int(size) for name in measured for size in broker[name]["fan_out"]})
    rows = []

    def row(label: str, cell) -> None:
        cells = []
        for name in layers:
            try:
                cells.append(cell(broker[name]))
            except KeyError:  # what the floor does not measure
                cells.append("–")
        rows.append([label, *cells])

    for size in sizes:
        row(
            f"publish → every client, {size:,} clients: p50 / p99 ms",
            lambda m, s=size: f"{ms(percentile(m['fan_out'][str(s)]['publish'], 0.5))} / "
            f"**{ms(percentile(m['fan_out'][str(s)]['publish'], 0.99))}**",
        )
    for size in sizes:
        row(
            f"deliveries/s, {size:,} clients",
            lambda m, s=size: f"{m['fan_out'][str(s)]['deliveries_per_s']:,.0f} "
            f"({m['fan_out'][str(s)]['burst_messages']} messages back to back)",
        )
    for size in sizes:
        row(
            f"burst over capacity, {size:,} clients: deliveries that arrived",
            lambda m, s=size: overload_cell(m["fan_out"][str(s)]["overload"]),
        )
    for key, label in (("redis_restart", "Redis restart"), ("replica_kill", "replica B SIGKILLed and replaced")):
        row(f"{label} (drill, pages reconnect as live.js does)", lambda m, k=key: fault_cell(m[k]))
    row(
        "left in Redis once every page has closed",
        lambda m: (
            f"{m['left_in_redis_after_kill']['group_members']} group memberships, "
            f"{m['left_in_redis_after_kill']['message_keys']} message keys, "
            f"{m['left_in_redis_after_kill']['subscribed_channels']} channels subscribed"
        ),
    )
    largest = str(sizes[-1])
    row(
        f"replica memory per page ({int(largest):,} pages connected, both replicas' VmRSS)",
        lambda m: f"{m['fan_out'][largest]['kb_per_page']:.0f} KiB, "
        f"{m['fan_out'][largest]['kb_per_page'] * 1000 / 1024:.0f} MiB per 1,000",
    )
    row("load average when its topology had started", lambda m: "")
    rows[-1][1:] = [broker["load_average"].get(name, "") for name in layers]
    largest_p99 = {name: percentile(broker[name]["fan_out"][largest]["publish"], 0.99) for name in measured}
    target = ", ".join(
        f"{name} {p99:.1f} ms ({'met' if p99 <= BROKER_P99_TARGET_MS else 'not met'})"
        for name, p99 in largest_p99.items()
    )
    if "floor" in layers:
        floor_p99 = percentile(broker["floor"]["fan_out"][largest]["publish"], 0.99)
        target += f"; the floor here, with no Django, Channels or Redis at all: {floor_p99:.1f} ms"
    return (
        table(["", *layers.values()], "l" * (len(layers) + 1), rows)
        + f"\n\nTarget: p99 publish → every client at most {BROKER_P99_TARGET_MS} ms with {int(largest):,} clients on "
        f"after×2, and no update lost without a resync. Measured: {target}."
    )


def overload_cell(overload: dict) -> str:
    lost = overload["expected"] - overload["deliveries"]
    return (
        f"{overload['deliveries']:,} of {overload['expected']:,} "
        + (
            f"(**{lost:,} dropped**; {overload['messages_reaching_no_one']} messages reached no client)"
            if lost
            else "(none dropped)"
        )
        + f", {overload['messages']} messages, the last in {overload['last_arrival_s']:.1f} s"
    )


def fault_cell(row: dict) -> str:
    verdict = "missed" if row["failed"] else "ok"
    return f"{verdict}: {row['note']}"
