"""The behavioral suite's fixtures, its markers and its expected-outcome matrix.

Every test that takes `topology` runs once per topology (before-1, before-2, before-2-sticky,
after-1, after-2, or those --topology names). A test says what it needs with a marker, and only the
topologies that have it are generated:
- `@pytest.mark.topologies("before-2", "after-2")`: only these;
- `@pytest.mark.trees("after")`: only topologies of these trees;
- `@pytest.mark.local_only`: only the local topologies, whose processes and disks the suite can reach.
- `@pytest.mark.load_balanced`: where the test is expected to fail, the failure needs nginx to send a
  client's requests to different replicas; on a topology whose nginx routes at random (Swarm with nginx
  before 1.27.3) that is chance, not certainty, so there the expected failure is not run.
Which tests are expected to fail, and which kind of state each failure shows, is written down in
tests/expected.toml: those tests are marked xfail(strict=True, raises=AssertionError), so the run
fails both when a test fails that should pass and when a test passes that should fail.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from harness import LOCAL_TOPOLOGIES, TOPOLOGIES, Visitor, topology_for

HERE = Path(__file__).resolve().parent
EXPECTED = tomllib.loads((HERE / "expected.toml").read_text())
KINDS = EXPECTED.pop("kinds")
for _name, _failures in EXPECTED.items():
    if "same-as" in _failures:  # a column that expects what another one does, derived rather than copied
        EXPECTED[_name] = {**EXPECTED[_failures.pop("same-as")], **_failures}
RESULTS = pytest.StashKey[dict]()
MARKERS = {
    "topologies(*names)": "run only on these topologies",
    "trees(*trees)": "run only on topologies of these trees (before, after)",
    "local_only": "run only on the local topologies, whose processes, services and disks the suite can reach",
    "load_balanced": "its expected failure needs nginx to spread requests: not run where nginx routes at random",
}


def pytest_addoption(parser):
    parser.addoption(
        "--topology", action="append", choices=sorted(TOPOLOGIES), help="run only these topologies (repeatable)"
    )
    parser.addoption("--results", help="write each test's outcome per topology to this JSON file")
    parser.addoption(
        "--tree-dir",
        type=Path,
        default=os.environ.get("SHOP_TREE_DIR") or None,
        help="run the replicas from this copy of the tree, e.g. a workshop step (default: $SHOP_TREE_DIR, or the tree)",
    )
    parser.addoption(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres: a PostgreSQL server of the run's own, or the one DATABASE_URL names when it is set",
    )


def pytest_configure(config):
    for marker, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {meaning}")
    config.stash[RESULTS] = {}


def applies(spec, definition) -> bool:
    """Whether a topology has what the test's markers ask for."""
    for mark in definition.iter_markers("topologies"):
        if spec.name not in mark.args:
            return False
    for mark in definition.iter_markers("trees"):
        if spec.tree not in mark.args:
            return False
    return not (definition.get_closest_marker("local_only") and spec.stack != "local")


def pytest_generate_tests(metafunc):
    if "topology" in metafunc.fixturenames:
        names = metafunc.config.getoption("--topology") or LOCAL_TOPOLOGIES
        chosen = [name for name in names if applies(TOPOLOGIES[name], metafunc.definition)]
        metafunc.parametrize("topology", chosen, indirect=True, scope="session")


def test_key(item) -> str:
    """'test_sessions.py::test_name', the name the matrix uses."""
    return f"{item.path.name}::{item.originalname}"


def topology_of(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    # With no topology left for a test (say, local_only ones under --topology swarm-*), pytest parametrizes
    # it with a NOTSET placeholder: that counts as none, and the test is deselected.
    topology = callspec.params.get("topology") if callspec else None
    return topology if isinstance(topology, str) else None


def left_to_chance(item) -> bool:
    """An expected failure that needs the load balancer to alternate, on a topology that routes at random."""
    topology = topology_of(item)
    return (
        item.get_closest_marker("load_balanced") is not None
        and TOPOLOGIES[topology].routing == "random"
        and test_key(item) in EXPECTED.get(topology, {})
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # A test whose markers leave it no topology here is not run at all, rather than reported as skipped.
    not_applicable = [item for item in items if "topology" in item.fixturenames and topology_of(item) is None]
    if not_applicable:
        config.hook.pytest_deselected(items=not_applicable)
        items[:] = [item for item in items if item not in not_applicable]
    # One topology after the other: each starts once. A test that leaves some out would otherwise
    # interleave them, and every switch would stop one topology and start the next again.
    order = {name: index for index, name in enumerate(TOPOLOGIES)}
    items.sort(key=lambda item: order.get(topology_of(item), -1))
    modules = {item.path.name: item.module for item in items}
    for topology, failures in EXPECTED.items():
        if topology not in TOPOLOGIES:
            raise pytest.UsageError(f"expected.toml: unknown topology [{topology}]")
        for key, kind in failures.items():
            filename, _, function = key.partition("::")
            if filename in modules and not hasattr(modules[filename], function):
                raise pytest.UsageError(f"expected.toml names {key!r} under [{topology}], but no such test exists")
            if kind not in KINDS:
                raise pytest.UsageError(f"expected.toml: unknown kind of state {kind!r} for {key}")
    by_chance = [item for item in items if left_to_chance(item)]
    if by_chance:
        config.hook.pytest_deselected(items=by_chance)
        items[:] = [item for item in items if item not in by_chance]
    for item in items:
        topology = topology_of(item)
        kind = EXPECTED.get(topology, {}).get(test_key(item))
        if kind:
            item.add_marker(
                pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"{topology} keeps {kind} state")
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    running = item.funcargs.get("topology") if report.failed else None
    for replica in getattr(running, "replicas", []):
        # A 500 the client saw has its traceback in the replica's log only: CI prints it beside the failure.
        report.sections.append((f"log of {replica.name}", replica.process.tail(200)))
    topology = topology_of(item)
    if topology and (report.when == "call" or report.outcome != "passed"):
        outcome = "pass" if report.passed and not hasattr(report, "wasxfail") else "fail"
        if report.skipped and not hasattr(report, "wasxfail"):
            outcome = "skip"
        item.config.stash[RESULTS].setdefault(test_key(item), {})[topology] = {
            "outcome": outcome,
            "as_expected": not report.failed,
            "kind": EXPECTED.get(topology, {}).get(test_key(item)),
            "doc": (item.function.__doc__ or "").strip(),
        }
    return report


def pytest_sessionfinish(session):
    path = session.config.getoption("--results")
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(session.config.stash[RESULTS], indent=2))


@pytest.fixture(scope="session")
def topology(request):
    options = {
        "database": request.config.getoption("--database"),
        "database_url": os.environ.get("DATABASE_URL"),
        "tree_dir": request.config.getoption("--tree-dir"),
        # Hundreds of sign-ups and logins: Django's hasher for tests, not PBKDF2's million rounds a password.
        "password_hashers": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    }
    spec = TOPOLOGIES[request.param]
    with topology_for(spec, **({} if spec.stack != "local" else options)) as running:
        yield running


@pytest.fixture
def visitor(topology) -> Visitor:
    """A new visitor with an empty cookie jar, talking to the load balancer."""
    return Visitor(topology.url)


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright (Playwright's own browser download is not needed)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: `make system` installs it")
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=flags)
        yield browser
        browser.close()
