"""The scan for module-level state that functions write to, and what it must leave alone."""

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from stateless_checks.checks import check_module_state
from stateless_checks.module_state import module_state_scan
from stateless_checks.sources import parse, read_text


def scan(source: str) -> dict[str, list[int]]:
    """{name: lines written} for a module's source."""
    findings = module_state_scan(source=textwrap.dedent(source), file=Path("shop/module.py"))
    return {finding.name: finding.write_lines for finding in findings}


def test_a_module_level_dict_a_function_writes_to_is_flagged_with_its_lines():
    """The before/ token table: a dict at module level, filled and emptied by the functions below it."""
    assert scan(
        """
        _tokens: dict[str, int] = {}

        def token_issue(token, user_id):
            _tokens[token] = user_id

        def token_revoke(token):
            _tokens.pop(token, None)
        """
    ) == {"_tokens": [5, 8]}


@pytest.mark.parametrize(
    "write",
    [
        "SEEN[key] = 1",
        "SEEN[key] += 1",
        "SEEN[key][0] = 1",
        "del SEEN[key]",
        "SEEN.append(key)",
        "SEEN.update({key: 1})",
        "SEEN.add(key)",
        "SEEN.pop(key)",
        "SEEN.setdefault(key, [])",
        "SEEN.clear()",
        "SEEN[key].append(1)",
    ],
)
def test_each_kind_of_write_is_flagged(write):
    """Assignment to an item, deletion, and every mutating method of dict, list, set and deque count."""
    assert scan(f"SEEN = {{}}\n\ndef view(key):\n    {write}\n") == {"SEEN": [4]}


@pytest.mark.parametrize("value", ["[]", "set()", "dict()", "collections.defaultdict(list)", "Counter()", "deque()"])
def test_every_kind_of_container_is_tracked(value):
    """Lists, sets, defaultdicts, Counters and deques are as mutable as a dict literal."""
    assert scan(f"hits = {value}\n\ndef view(key):\n    hits.append(key)\n") == {"hits": [4]}


def test_rebinding_a_global_is_flagged():
    """`global` lets a function replace a module-level value: a counter each process keeps for itself."""
    assert scan(
        """
        requests_served = 0

        def view():
            global requests_served
            requests_served += 1
        """
    ) == {"requests_served": [6]}


def test_a_method_writing_to_module_state_is_flagged():
    """Methods are functions too: a view class filling a module-level dict is the same state."""
    assert scan(
        """
        carts = {}

        class CartView:
            def post(self, request):
                carts[request.user.pk] = request.POST
        """
    ) == {"carts": [6]}


def test_a_global_set_up_once_under_is_none_is_not_flagged():
    """A client created on first use is warm state: any process rebuilds it the same way."""
    assert (
        scan(
            """
            _client = None

            def client():
                global _client
                if _client is None:
                    _client = object()
                return _client
            """
        )
        == {}
    )


def test_a_module_bound_once_by_a_function_is_not_flagged():
    """A lazily imported module is the same in every process, guarded or not, however it is imported."""
    assert (
        scan(
            """
            import importlib

            _pdf = _yaml = _json = None

            def pdf():
                global _pdf
                if _pdf is not None:
                    return _pdf
                _pdf = object()
                return _pdf

            def yaml():
                global _yaml
                _yaml = importlib.import_module("yaml")

            def json_module():
                global _json
                import json

                _json = json
            """
        )
        == {}
    )


def test_a_registry_filled_by_decorators_at_import_time_is_not_flagged():
    """`@report("sales")` and `@exporter` run while the module is imported: configuration, not state."""
    assert (
        scan(
            """
            REPORTS = {}
            EXPORTERS = []

            def report(name):
                def register(cls):
                    REPORTS[name] = cls
                    return cls
                return register

            def exporter(cls):
                EXPORTERS.append(cls)
                return cls

            @report("sales")
            class Sales:
                pass
            """
        )
        == {}
    )


def test_a_function_that_only_an_app_configs_ready_calls_is_not_flagged():
    """ready() runs once per process at start, and so does what it calls."""
    assert (
        scan(
            """
            NAMES = set()

            def name_add(name):
                NAMES.add(name)

            class ShopConfig:
                def ready(self):
                    name_add("order_placed")
            """
        )
        == {}
    )


def test_a_function_named_like_a_method_called_at_import_is_still_flagged():
    """`os.environ.get(...)` at module level must not make every `get` in the module look import-time."""
    assert scan(
        """
        import os

        DEBUG = os.environ.get("DEBUG")
        hits = {}

        class View:
            def get(self, request):
                hits[request.path] = 1
        """
    ) == {"hits": [9]}


def test_warm_state_and_constants_are_not_flagged():
    """lru_cache, compiled patterns, constants only read, and tables built at import time are not state."""
    assert (
        scan(
            """
            import functools
            import re

            FORMATS = {"JPEG": "jpg", "PNG": "png"}
            SLUG = re.compile(r"^[a-z-]+$")
            REGISTRY = {}
            REGISTRY["jpg"] = "image/jpeg"
            for name in ("a", "b"):
                REGISTRY[name] = name

            @functools.lru_cache
            def thumbnail_size(name):
                return FORMATS.get(name), SLUG.match(name)

            class Meta:
                REGISTRY["meta"] = "built once, at import"
            """
        )
        == {}
    )


def test_a_local_variable_of_the_same_name_is_not_module_state():
    """Inside a function that binds the name itself, and in functions nested in it, it is local."""
    assert (
        scan(
            """
            items = []

            def view(request):
                items = []
                items.append(request)

                def inner():
                    items.append(1)

                return items

            def other(items):
                items.append(1)
            """
        )
        == {}
    )


def test_a_line_marked_warm_is_not_flagged():
    """A person who reviewed the warning and found rebuildable state can say so on the line."""
    assert (
        scan(
            """
            _thumbnails = {}  # stateless: warm

            def thumbnail(name):
                _thumbnails[name] = name
            """
        )
        == {}
    )


def app(path: Path, files: dict[str, str]) -> SimpleNamespace:
    for name, source in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(textwrap.dedent(source))
    return SimpleNamespace(path=str(path), label=path.name)


STATEFUL = "hits = []\n\ndef view():\n    hits.append(1)\n"


def test_the_check_reports_the_file_and_line_relative_to_base_dir(settings, tmp_path):
    """The warning names the file and the line of the assignment, as a person opening the project sees them."""
    settings.BASE_DIR = tmp_path
    shop = app(tmp_path / "shop", {"views.py": STATEFUL})
    [warning] = check_module_state(app_configs=[shop])
    assert (warning.id, warning.obj) == ("stateless.W050", "shop/views.py:1")
    assert "line 4" in warning.msg


def test_only_the_projects_own_apps_are_scanned(settings, tmp_path):
    """Apps outside BASE_DIR, or installed as packages inside it (a .venv in the project), are not the project's."""
    settings.BASE_DIR = tmp_path / "project"
    outside = app(tmp_path / "elsewhere" / "shop", {"views.py": STATEFUL})
    installed = app(tmp_path / "project" / ".venv" / "site-packages" / "library", {"views.py": STATEFUL})
    assert check_module_state(app_configs=[outside, installed]) == []


def test_tests_migrations_and_management_commands_are_not_scanned(settings, tmp_path):
    """None of them serves a request, so what they keep in memory is not the replica's state."""
    settings.BASE_DIR = tmp_path
    shop = app(
        tmp_path / "shop",
        {
            "tests/test_views.py": STATEFUL,
            "test_models.py": STATEFUL,
            "migrations/0001_initial.py": STATEFUL,
            "management/commands/seed.py": STATEFUL,
        },
    )
    assert check_module_state(app_configs=[shop]) == []


def test_files_that_cannot_be_read_or_parsed_cost_only_their_own_findings(settings, tmp_path):
    """latin-1 with and without a coding line, a dangling symlink, a syntax error, a null byte: never raise."""
    settings.BASE_DIR = tmp_path
    shop = app(tmp_path / "shop", {"views.py": STATEFUL})
    (tmp_path / "shop" / "latin1.py").write_bytes("# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "shop" / "undeclared.py").write_bytes("NAME = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "shop" / "broken.py").write_bytes(b"def view(:\n")
    (tmp_path / "shop" / "null.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "shop" / "gone.py").symlink_to(tmp_path / "shop" / "missing.py")
    assert [w.obj for w in check_module_state(app_configs=[shop])] == ["shop/views.py:1"]
    assert read_text(tmp_path / "shop" / "latin1.py").endswith("'caf\xe9'\n")
    assert parse(tmp_path / "shop" / "gone.py") is None
