"""The case study's two shops: before/ is told about every piece of state docs/state.md names, after/ of none."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import stateless_checks

REPO = Path(__file__).resolve().parents[2]
# What compose/compose.yaml gives every after/ replica: one PostgreSQL server, not a file on its disk.
REPLICA_DATABASE = "postgres://shop:shop@postgres:5432/shop_after"


def check(tree: str, *, database_url: str | None = None) -> str:
    if not (REPO / tree / "manage.py").exists():
        pytest.skip("the package is installed outside the case study's repository")
    # pytest-django set DJANGO_SETTINGS_MODULE to this suite's settings; the tree uses its own.
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    if database_url:
        env["DATABASE_URL"] = database_url
    # The copy of the package this suite tests, not whichever one the tree's environment has installed.
    env["PYTHONPATH"] = os.pathsep.join([str(Path(stateless_checks.__file__).parents[1]), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--tag", "stateless"],
        cwd=REPO / tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def ids(output: str) -> list[str]:
    return sorted(re.findall(r"\((stateless\.\w+)\)", output))


def test_before_is_told_about_sessions_files_live_updates_rate_limits_and_tokens():
    """One warning per kind of state before/ keeps, the token table with its file and line."""
    output = check("before", database_url=REPLICA_DATABASE)
    for expected in [
        "SESSION_ENGINE: (stateless.W001)",
        "STORAGES['default']: (stateless.W020)",
        "CHANNEL_LAYERS['default']: (stateless.W030)",
        "CACHES['ratelimit']: (stateless.W010)",
    ]:
        assert expected in output
    assert re.search(r"api/tokens\.py:\d+: \(stateless\.W050\) Module-level `_tokens`", output)
    assert ids(output) == ["stateless.W001", "stateless.W010", "stateless.W020", "stateless.W030", "stateless.W050"]


def test_after_is_told_about_nothing():
    """Every piece of state moved out of the process, so the checks have nothing to say."""
    assert "System check identified no issues" in check("after", database_url=REPLICA_DATABASE)


def test_after_without_database_url_is_told_its_fallback_database_is_a_file_on_this_disk():
    """The local default, SQLite in the checkout, is one file per container once deployed without DATABASE_URL."""
    assert ids(check("after")) == ["stateless.W061"]
