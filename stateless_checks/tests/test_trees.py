"""The case study's two shops: before/ is told about every piece of state docs/state.md names, after/ of none."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def check(tree: str) -> str:
    if not (REPO / tree / "manage.py").exists():
        pytest.skip("the package is installed outside the case study's repository")
    # pytest-django set DJANGO_SETTINGS_MODULE to this suite's settings; the tree uses its own.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
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


def test_before_is_told_about_sessions_files_live_updates_rate_limits_and_tokens():
    """One warning per kind of state before/ keeps, the token table with its file and line."""
    output = check("before")
    for expected in [
        "SESSION_ENGINE: (stateless.W001)",
        "STORAGES['default']: (stateless.W020)",
        "CHANNEL_LAYERS['default']: (stateless.W030)",
        "CACHES['ratelimit']: (stateless.W010)",
    ]:
        assert expected in output
    assert re.search(r"api/tokens\.py:\d+: \(stateless\.W050\) Module-level `_tokens`", output)
    assert "identified 5 issues" in output


def test_after_is_told_about_nothing():
    """Every piece of state moved out of the process, so the checks have nothing to say."""
    assert "System check identified no issues" in check("after")
