"""The fixture projects, what each is known to report, and the precision/recall table over them.

    python -m tests.scorecard                 # the table in the package README, from this checkout
    python -m tests.scorecard --src OLD/src   # the same fixtures against another copy of the package

Each fixture names the ids it reports (`reported`, asserted exactly by tests/test_projects.py) and the
ids that the per-replica state it really keeps should raise (`state`). Where the two differ, the
fixture is a known limit of a static scan, kept so that the table does not flatter the checks.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PROJECTS = Path(__file__).resolve().parent / "projects"
SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass(frozen=True)
class Fixture:
    reported: list[str]
    state: list[str] | None = None  # None: the same as reported
    settings: str = "settings"
    why: str = ""
    truth: list[str] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "truth", self.reported if self.state is None else self.state)


FIXTURES = {
    # Per-replica state: each must be reported.
    "file_sessions": Fixture(["W001"]),
    "locmem_sessions": Fixture(["W002"]),
    "cached_db_locmem": Fixture(["W004"]),
    "ratelimit_locmem": Fixture(["W010"]),
    "drf_throttles": Fixture(["W013"]),
    "axes_cache_handler": Fixture(["W014"]),
    "allauth_rate_limits": Fixture(["W015"]),
    "cache_store": Fixture(["W016", "W016"], why="a signal handler's cache.set, and a counter"),
    "uploads_on_disk": Fixture(["W020"]),
    "media_root_by_path": Fixture(["W021"]),
    "log_file": Fixture(["W022"]),
    "storage_in_code": Fixture(["W023", "W023"], why="a view's FileSystemStorage(), a field's storage="),
    "default_file_storage_ignored": Fixture(["W024"]),
    "channels_in_memory": Fixture(["W030"]),
    "module_state": Fixture(["W050"]),
    "random_secret_key": Fixture(["W060"]),
    "random_secret_key_split": Fixture(["W060"], settings="config.settings.production"),
    "sqlite_file": Fixture(["W061"]),
    "broken_sources": Fixture(["W050"], why="the latin-1 file's state is still found; nothing raises"),
    # No per-replica state: each must report nothing.
    "no_uploads": Fixture([]),
    "s3_with_media_root": Fixture([], settings="config.settings"),
    "lazy_imports": Fixture([]),
    "decorator_registry": Fixture([]),
    "simplejwt_without_audience": Fixture([]),
    "locmem_as_cache": Fixture([]),
    "env_secret_key": Fixture([]),
    "secret_key_overridden": Fixture([], settings="config.settings.production"),
    "stateless_shop": Fixture([]),
    # Known limits of the static scan.
    "class_attribute_state": Fixture([], state=["W050"], why="state on a class attribute is not seen"),
    "memo_dict": Fixture(["W050"], state=[], why="a memo of a pure function looks like state"),
}

# Written into broken_sources/shop/ at run time, so that no tool in the repository trips on them.
BROKEN_FILES = {
    "latin1_declared.py": "# -*- coding: latin-1 -*-\n# Caf\xe9\nseen = {}\n\n\ndef view(k):\n    seen[k] = 1\n".encode(
        "latin-1"
    ),
    "latin1_undeclared.py": "# Caf\xe9 without a coding line\nNAME = 'caf\xe9'\n".encode("latin-1"),
    "syntax_error.py": b"def view(:\n",
    "null_byte.py": b"x = 1\x00\n",
}
DANGLING = "gone.py"

# Runs the checks the way `manage.py check --tag stateless` does, for any copy of the package.
RUNNER = """
import json, django
from django.conf import settings
settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "stateless_checks"]
django.setup()
from django.core.checks import run_checks
print(json.dumps(sorted(m.id for m in run_checks(tags=["stateless"]) if not m.is_silenced())))
"""


def project_dir(name: str, workdir: Path) -> Path:
    """The fixture's folder; broken_sources is copied to `workdir` and its broken files added."""
    if name != "broken_sources":
        return PROJECTS / name
    copy = workdir / name
    if not copy.exists():
        shutil.copytree(PROJECTS / name, copy)
        for file, data in BROKEN_FILES.items():
            (copy / "shop" / file).write_bytes(data)
        (copy / "shop" / DANGLING).symlink_to(copy / "shop" / "missing.py")
    return copy


def environment(src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH"}}
    env["PYTHONPATH"] = os.pathsep.join([str(src), str(PROJECTS)])
    return env


def cli(name: str, *arguments: str, workdir: Path, src: Path = SRC) -> subprocess.CompletedProcess:
    """`python -m stateless_checks --settings=...` in the fixture's folder."""
    fixture = FIXTURES.get(name, Fixture([]))
    return subprocess.run(
        [sys.executable, "-m", "stateless_checks", f"--settings={fixture.settings}", *arguments],
        cwd=project_dir(name, workdir),
        env=environment(src),
        capture_output=True,
        text=True,
        timeout=50,
    )


def reported_ids(name: str, *, workdir: Path, src: Path = SRC) -> list[str] | None:
    """The short ids (W001) the checks report on a fixture, or None when the run crashed.
    Through the CLI where the package has one, else as `manage.py check --tag stateless` would."""
    if (src / "stateless_checks" / "__main__.py").exists():
        result = cli(name, "--json", "--fail-level", "CRITICAL", workdir=workdir, src=src)
        ids = [finding["id"] for finding in json.loads(result.stdout)] if result.returncode == 0 else None
    else:
        result = subprocess.run(
            [sys.executable, "-c", RUNNER],
            cwd=project_dir(name, workdir),
            env={**environment(src), "DJANGO_SETTINGS_MODULE": FIXTURES[name].settings},
            capture_output=True,
            text=True,
            timeout=50,
        )
        ids = json.loads(result.stdout.splitlines()[-1]) if result.returncode == 0 else None
    return None if ids is None else sorted(i.removeprefix("stateless.") for i in ids)


def run_all(*, workdir: Path, src: Path = SRC) -> dict[str, list[str] | None]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = pool.map(lambda name: reported_ids(name, workdir=workdir, src=src), FIXTURES)
        return dict(zip(FIXTURES, results, strict=True))


def table(results: dict[str, list[str] | None]) -> str:
    """Markdown: per id, true and false positives and misses, then precision and recall overall."""
    tp, fp, fn = Counter(), Counter(), Counter()
    crashed = [name for name, ids in results.items() if ids is None]
    for name, ids in results.items():
        reported, truth = Counter(ids or []), Counter(FIXTURES[name].truth)
        tp.update(reported & truth)
        fp.update(reported - truth)
        fn.update(truth - reported)
    rows = ["| id | found (TP) | wrongly reported (FP) | missed (FN) |", "|---|---|---|---|"]
    for id in sorted(set(tp) | set(fp) | set(fn)):
        rows.append(f"| `stateless.{id}` | {tp[id]} | {fp[id]} | {fn[id]} |")
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision = total_tp / (total_tp + total_fp) if total_tp + total_fp else 0.0
    recall = total_tp / (total_tp + total_fn) if total_tp + total_fn else 0.0
    rows.append(f"| **all {len(results)} fixtures** | {total_tp} | {total_fp} | {total_fn} |")
    summary = f"Precision {precision:.2f}, recall {recall:.2f}."
    if crashed:
        summary += f" Crashed (counted as reporting nothing): {', '.join(crashed)}."
    return "\n".join(rows) + "\n\n" + summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.scorecard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=SRC, help="the src/ folder of the package to score")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        print(table(run_all(workdir=Path(workdir), src=arguments.src.resolve())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
