"""What the project's own code does with storages, MEDIA_ROOT, caches and random keys (ast, never imported).

Each function takes parsed sources and returns (file, line, detail) tuples for a check to word.
"""

import ast
import sys
from pathlib import Path

from stateless_checks.sources import Source, call_name, parse

LOCAL_STORAGE_CLASSES = frozenset({"FileSystemStorage", "InMemoryStorage"})
# Writes that make a cache the only copy of something, or that only this process's copy sees.
CACHE_WRITES = frozenset({"add", "clear", "decr", "delete", "delete_many", "incr", "set", "set_many", "touch"})
COUNTING = frozenset({"decr", "incr"})
RANDOM_CALLS = frozenset(
    {
        "choice",
        "choices",
        "generate_key",
        "get_random_secret_key",
        "get_random_string",
        "getrandbits",
        "randbytes",
        "randint",
        "sample",
        "token_bytes",
        "token_hex",
        "token_urlsafe",
        "urandom",
        "uuid1",
        "uuid4",
    }
)


def _name(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _local_storage_classes(sources: list[Source]) -> set[str]:
    """FileSystemStorage, InMemoryStorage, and the project's own classes built on them."""
    names = set(LOCAL_STORAGE_CLASSES)
    classes = [node for s in sources for node in ast.walk(s.tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name not in names and any(_name(base) in names for base in node.bases):
                names.add(node.name)
                grew = True
    return names


def storage_constructions(sources: list[Source]) -> list[tuple[Path, int, str]]:
    """`FileSystemStorage(...)` (or a subclass) called in code: in a view, or as a field's `storage=`."""
    classes = _local_storage_classes(sources)
    return [
        (source.file, node.lineno, name)
        for source in sources
        for node in ast.walk(source.tree)
        if (name := call_name(node)) in classes
    ]


def default_storage_uses(sources: list[Source]) -> list[tuple[Path, int, str]]:
    """Code that reads or writes through the default storage: `default_storage`, `storages["default"]`."""
    uses = []
    for source in sources:
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Name | ast.Attribute) and _name(node) == "default_storage":
                uses.append((source.file, node.lineno, "default_storage"))
            elif (
                isinstance(node, ast.Subscript)
                and _name(node.value) == "storages"
                and isinstance(node.slice, ast.Constant)
                and node.slice.value == "default"
            ):
                uses.append((source.file, node.lineno, 'storages["default"]'))
    return uses


def media_root_paths(sources: list[Source]) -> list[tuple[Path, int, str]]:
    """`settings.MEDIA_ROOT` read by code, but for `static(..., document_root=settings.MEDIA_ROOT)`,
    the development-only media route, which serves nothing once DEBUG is off."""
    found = []
    for source in sources:
        served = {
            id(keyword.value)
            for node in ast.walk(source.tree)
            if isinstance(node, ast.Call)
            for keyword in node.keywords
            if keyword.arg == "document_root"
        }
        found.extend(
            (source.file, node.lineno, "settings.MEDIA_ROOT")
            for node in ast.walk(source.tree)
            if isinstance(node, ast.Attribute)
            and node.attr == "MEDIA_ROOT"
            and isinstance(node.value, ast.Name)
            and node.value.id == "settings"
            and id(node) not in served
        )
    return found


def _cache_aliases(tree: ast.Module) -> dict[str, str]:
    """Names a module binds to a cache: `cache` from django.core.cache, and `X = caches["alias"]`."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.core.cache":
            aliases.update({(a.asname or a.name): "default" for a in node.names if a.name == "cache"})
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and (alias := _caches_subscript(stmt.value)):
            aliases.update({t.id: alias for t in stmt.targets if isinstance(t, ast.Name)})
    return aliases


def _caches_subscript(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Subscript)
        and _name(node.value) == "caches"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def _signal_receivers(tree: ast.Module) -> set[str]:
    """Functions decorated with `@receiver(...)` or passed to `signal.connect(...)`."""
    receivers = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(call_name(d) == "receiver" for d in node.decorator_list):
                receivers.add(node.name)
        elif isinstance(node, ast.Call) and call_name(node) == "connect" and node.args and _name(node.args[0]):
            receivers.add(_name(node.args[0]))
    return receivers


def cache_store_writes(sources: list[Source]) -> list[tuple[Path, int, str]]:
    """(file, line, alias) where code uses a cache as the only copy: a counter (`incr`, `decr`), or a
    write or delete in a signal handler, which another process's copy of the cache never hears of."""
    writes = []
    for source in sources:
        aliases = _cache_aliases(source.tree)
        receivers = _signal_receivers(source.tree)
        for function in ast.walk(source.tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                method, target = node.func.attr, node.func.value
                alias = _caches_subscript(target) or (aliases.get(target.id) if isinstance(target, ast.Name) else None)
                if alias and (method in COUNTING or (method in CACHE_WRITES and function.name in receivers)):
                    writes.append((source.file, node.lineno, alias))
    return sorted(set(writes))


def _is_random(node: ast.AST, helpers: dict[str, ast.AST]) -> bool:
    """Whether an expression calls a random source, directly or through a function of the same module."""
    for call in ast.walk(node):
        name = call_name(call)
        if name in RANDOM_CALLS:
            return True
        if name in helpers and _is_random(helpers.pop(name), helpers):
            return True
    return False


def _module_file(name: str) -> Path | None:
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    return Path(file) if file else None


def _resolve(module: str, stmt: ast.ImportFrom) -> str:
    if not stmt.level:
        return stmt.module or ""
    package = module.rsplit(".", stmt.level)[0] if "." in module else ""
    return ".".join(filter(None, [package, stmt.module]))


def random_settings(settings_module: str, names: tuple[str, ...]) -> dict[str, tuple[Path, int]]:
    """The settings among `names` whose value, as the settings modules leave it, is drawn at random
    when the process starts. Follows `from .base import *` and the like into the project's own files."""
    final: dict[str, tuple[bool, Path, int]] = {}
    random_environ: set[str] = set()  # os.environ.setdefault("SECRET_KEY", get_random_secret_key())
    seen = set()

    def run(module: str):
        file = _module_file(module)
        if file is None or file in seen or {"site-packages", "dist-packages"} & set(file.parts):
            return
        seen.add(file)
        source = parse(file)
        if source is None:
            return
        helpers = {
            node.name: node for node in source.tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for stmt in _statements(source.tree.body):
            if isinstance(stmt, ast.ImportFrom):
                run(_resolve(module, stmt))
            elif _is_random_setdefault(stmt, helpers):
                random_environ.add(stmt.value.args[0].value)
            for name, value in _assigned(stmt):
                if name in names:
                    reads = {n.value for n in ast.walk(value) if isinstance(n, ast.Constant)} & random_environ
                    final[name] = (bool(reads) or _is_random(value, dict(helpers)), file, stmt.lineno)

    run(settings_module)
    return {name: (file, line) for name, (random, file, line) in final.items() if random}


def _is_random_setdefault(stmt: ast.stmt, helpers: dict[str, ast.AST]) -> bool:
    if not (isinstance(stmt, ast.Expr) and call_name(stmt.value) == "setdefault" and len(stmt.value.args) == 2):
        return False
    key, value = stmt.value.args
    return isinstance(key, ast.Constant) and isinstance(key.value, str) and _is_random(value, dict(helpers))


def _statements(body):
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If | ast.With | ast.Try):
            for block in (stmt.body, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])):
                yield from _statements(block)
            for handler in getattr(stmt, "handlers", []):
                yield from _statements(handler.body)


def _assigned(stmt: ast.stmt):
    """(setting, value) pairs a module-level statement assigns, `SIMPLE_JWT['SIGNING_KEY']` included."""
    if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Name):
                yield target.id, stmt.value
                if isinstance(stmt.value, ast.Dict):
                    for key, value in zip(stmt.value.keys, stmt.value.values, strict=False):
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            yield f"{target.id}[{key.value!r}]", value
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                if isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
                    yield f"{target.value.id}[{target.slice.value!r}]", stmt.value
