"""The project's own Python files, read and parsed so that no file can make a check raise.

Checks run on every `manage.py` command, `migrate` included: a file in latin-1, a dangling symlink,
a syntax error or a null byte must cost that file its findings, never the command.
"""

import ast
import io
import os
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        "management",
        "migrations",
        "node_modules",
        "site-packages",
        "dist-packages",
        "tests",
        "venv",
    }
)
SKIPPED_FILES = frozenset({"conftest.py", "tests.py"})


@dataclass(frozen=True)
class Source:
    file: Path
    tree: ast.Module
    lines: tuple[str, ...]


def read_text(file: Path) -> str | None:
    """The file's text in the encoding it declares (PEP 263), or None when it cannot be read."""
    try:
        data = file.read_bytes()
    except OSError:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding, errors="replace")
    except (LookupError, SyntaxError):
        return data.decode("latin-1")


@lru_cache(maxsize=4096)
def _parse(file: Path, mtime_ns: int) -> Source | None:
    text = read_text(file)
    if text is None:
        return None
    try:
        tree = ast.parse(text, filename=str(file))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # Python reports it on import; nothing to say about its state.
    return Source(file=file, tree=tree, lines=tuple(text.splitlines()))


def parse(file: Path) -> Source | None:
    try:
        mtime_ns = file.stat().st_mtime_ns
    except OSError:
        return None
    return _parse(file, mtime_ns)


def python_files(root: Path):
    """Every .py file under `root` that may serve a request: tests, migrations and commands aside."""
    for directory, dirs, files in os.walk(root, onerror=lambda error: None):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py") and not name.startswith("test_") and name not in SKIPPED_FILES:
                yield Path(directory) / name


def project_sources(roots) -> list[Source]:
    seen, sources = set(), []
    for root in roots:
        for file in python_files(root):
            if file not in seen and (source := parse(file)) is not None:
                seen.add(file)
                sources.append(source)
    return sources


def call_name(node: ast.AST) -> str | None:
    """`f` for `f(...)`, `m.f(...)` and `a.m.f(...)`."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def relative(file: Path, base: Path) -> str:
    try:
        return file.relative_to(base).as_posix()
    except ValueError:
        return str(file)
