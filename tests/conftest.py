"""The behavioral suite's fixtures and its expected-outcome matrix.

Every test runs once per topology (before-1, before-2, before-2-sticky, after-1, after-2). Which of
them are expected to fail, and which kind of state each failure shows, is written down in
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

from tests.client import Visitor
from tests.compose_topology import ComposeTopology
from tests.topology import LOCAL_TOPOLOGIES, TOPOLOGIES, Topology

HERE = Path(__file__).resolve().parent
EXPECTED = tomllib.loads((HERE / "expected.toml").read_text())
KINDS = EXPECTED.pop("kinds")
for _name, _failures in EXPECTED.items():
    if "same-as" in _failures:  # a column that expects what another one does, derived rather than copied
        EXPECTED[_name] = {**EXPECTED[_failures.pop("same-as")], **_failures}


def pytest_addoption(parser):
    parser.addoption(
        "--topology", action="append", choices=sorted(TOPOLOGIES), help="run only these topologies (repeatable)"
    )
    parser.addoption("--results", help="write each test's outcome per topology to this JSON file")


def pytest_generate_tests(metafunc):
    if "topology" in metafunc.fixturenames:
        names = metafunc.config.getoption("--topology") or LOCAL_TOPOLOGIES
        metafunc.parametrize("topology", names, indirect=True, scope="session")


def test_key(item) -> str:
    """'test_sessions.py::test_name', the name the matrix uses."""
    return f"{Path(item.fspath).name}::{item.originalname}"


def pytest_collection_modifyitems(config, items):
    modules = {Path(item.fspath).name: item.module for item in items}
    for topology, failures in EXPECTED.items():
        if topology not in TOPOLOGIES:
            raise pytest.UsageError(f"expected.toml: unknown topology [{topology}]")
        for key, kind in failures.items():
            filename, _, function = key.partition("::")
            if filename in modules and not hasattr(modules[filename], function):
                raise pytest.UsageError(f"expected.toml names {key!r} under [{topology}], but no such test exists")
            if kind not in KINDS:
                raise pytest.UsageError(f"expected.toml: unknown kind of state {kind!r} for {key}")
    for item in items:
        callspec = getattr(item, "callspec", None)
        topology = callspec.params.get("topology") if callspec else None
        kind = EXPECTED.get(topology, {}).get(test_key(item))
        if kind:
            item.add_marker(
                pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"{topology} keeps {kind} state")
            )


def pytest_configure(config):
    config._shop_results = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    callspec = getattr(item, "callspec", None)
    topology = callspec.params.get("topology") if callspec else None
    if topology and (report.when == "call" or report.outcome != "passed"):
        outcome = "pass" if report.passed and not hasattr(report, "wasxfail") else "fail"
        if report.skipped and not hasattr(report, "wasxfail"):
            outcome = "skip"
        item.config._shop_results.setdefault(test_key(item), {})[topology] = {
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
        Path(path).write_text(json.dumps(session.config._shop_results, indent=2))


@pytest.fixture(scope="session")
def topology(request):
    tree, replicas, sticky = TOPOLOGIES[request.param]
    if request.param.startswith("compose-"):
        chosen = ComposeTopology(tree)
    else:
        chosen = Topology(tree, replicas, sticky, database_url=os.environ.get("DATABASE_URL"))
    with chosen as running:
        running.label = request.param
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
