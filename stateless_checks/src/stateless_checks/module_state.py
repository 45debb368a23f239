"""Find module-level state that functions write to: the dict a view fills is the replica's own.

A static scan (ast), so it reports where to look rather than proving anything. Flagged: a module-level
dict/list/set (or defaultdict, Counter, deque...) that a function changes with `X[...] = `, `del X[...]`
or a mutating method, and any name a function rebinds after `global X`. Not flagged, being warm state
any process can rebuild: functools.lru_cache/cache, compiled regexes, constants never written, a
`global` set up once (under `if X is None:`, after `if X is not None: return X`, or bound to a module),
and lines ending with `# stateless: warm`. Writes at import time are configuration, not state: in a
module or class body, in a function used as a decorator or called from a module body (in any scanned
module), in one shaped like a decorator (it returns its argument), and in AppConfig.ready().
Management commands, migrations and tests never serve a request and are not scanned (sources.py).
"""

import ast
from dataclasses import dataclass, field
from pathlib import Path

from stateless_checks.sources import Source, call_name

CONTAINERS = frozenset(
    {
        "Counter",
        "OrderedDict",
        "WeakKeyDictionary",
        "WeakValueDictionary",
        "defaultdict",
        "deque",
        "dict",
        "list",
        "set",
    }
)
MUTATORS = frozenset(
    {
        "add",
        "append",
        "appendleft",
        "clear",
        "difference_update",
        "discard",
        "extend",
        "extendleft",
        "insert",
        "intersection_update",
        "pop",
        "popitem",
        "popleft",
        "remove",
        "setdefault",
        "symmetric_difference_update",
        "update",
    }
)
WARM = "# stateless: warm"


@dataclass
class Finding:
    file: Path
    name: str
    line: int  # where the module binds it, or its first write when it never does
    write_lines: list[int] = field(default_factory=list)


def _is_container(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        return name in CONTAINERS
    return False


def _module_statements(body: list[ast.stmt]):
    """Statements run at import time, including those inside module-level if/try/with blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If | ast.With):
            yield from _module_statements(stmt.body)
            yield from _module_statements(getattr(stmt, "orelse", []))
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)):
                yield from _module_statements(block)


def _module_containers(tree: ast.Module) -> dict[str, int]:
    containers = {}
    for stmt in _module_statements(tree.body):
        if isinstance(stmt, ast.Assign) and _is_container(stmt.value):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign) and _is_container(stmt.value):
            targets = [stmt.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                containers.setdefault(target.id, stmt.lineno)
    return containers


def _base_name(node: ast.expr) -> str | None:
    """`X` for `X`, `X[a]`, `X[a][b]`: writing to an element still changes what X holds."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _own_nodes(function: ast.AST):
    """The nodes of a function body, without descending into nested functions, lambdas or classes."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))


def _local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = function.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}
    for node in _own_nodes(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _declared_global(function: ast.AST) -> set[str]:
    return {name for node in _own_nodes(function) if isinstance(node, ast.Global) for name in node.names}


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _tests_unset(test: ast.expr, name: str) -> bool:
    """`X is None`, `not X`, or either inside an `and`/`or`: the guard of a one-time setup."""
    if isinstance(test, ast.BoolOp):
        return any(_tests_unset(value, name) for value in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _base_name(test.operand) == name
    return (
        isinstance(test, ast.Compare)
        and _base_name(test.left) == name
        and isinstance(test.ops[0], ast.Is)
        and _is_none(test.comparators[0])
    )


def _tests_set(test: ast.expr, name: str) -> bool:
    """`X`, `X is not None`: the guard of an early return once X is set up."""
    if isinstance(test, ast.Name):
        return test.id == name
    return (
        isinstance(test, ast.Compare)
        and _base_name(test.left) == name
        and isinstance(test.ops[0], ast.IsNot)
        and _is_none(test.comparators[0])
    )


def _span(stmt: ast.stmt) -> range:
    return range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)


def _lazy_setups(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> set[int]:
    """Lines where rebinding X only fills in warm state once: under `if X is None:`, or after
    `if X is not None: return X`."""
    lines = set()
    for node in _own_nodes(function):
        if isinstance(node, ast.If) and _tests_unset(node.test, name):
            for stmt in node.body:
                lines.update(_span(stmt))
    for index, stmt in enumerate(function.body):
        if isinstance(stmt, ast.If) and _tests_set(stmt.test, name) and isinstance(stmt.body[-1], ast.Return):
            for rest in function.body[index + 1 :]:
                lines.update(_span(rest))
            break
    return lines


IMPORTERS = frozenset({"__import__", "import_module", "import_string"})


def _imports_bound(function: ast.AST) -> set[tuple[str, int]]:
    """(name, line) where a function binds a name to a module: `X = import_module(...)`, or `X = m`
    after `import m`. A module is the same in every process, whenever it is imported."""
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in _own_nodes(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    bound = set()
    for node in _own_nodes(function):
        if not isinstance(node, ast.Assign):
            continue
        value = node.value
        if call_name(value) in IMPORTERS or (isinstance(value, ast.Name) and value.id in imported):
            bound.update((target.id, node.lineno) for target in node.targets if isinstance(target, ast.Name))
    return bound


def _writes(function: ast.FunctionDef | ast.AsyncFunctionDef, containers: set[str], enclosing: set[str]):
    """(name, line) for each write this function makes to module-level state."""
    declared = _declared_global(function)
    shadowed = (_local_names(function) | enclosing) - declared
    mutable = (containers | declared) - shadowed
    imports = _imports_bound(function)
    for node in _own_nodes(function):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            name = _base_name(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            name = _base_name(node.func.value)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del) and node.id in declared:
            if node.lineno in _lazy_setups(function, node.id) or (node.id, node.lineno) in imports:
                continue
            yield node.id, node.lineno
            continue
        else:
            continue
        if name in mutable:
            yield name, node.lineno


def _decorator_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        return call_name(node)
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def import_time_calls(tree: ast.Module) -> set[str]:
    """Names of the functions a module calls while it is imported: its decorators (`@register`,
    `@registry.register("x")`) and the calls in its module and class bodies."""
    names = set()
    bodies = [tree.body]
    while bodies:
        for stmt in _module_statements(bodies.pop()):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.update(filter(None, map(_decorator_name, stmt.decorator_list)))
                if stmt.name in STARTUP_METHODS:  # AppConfig.ready() and what it calls run once, at start
                    names.update(filter(None, map(call_name, ast.walk(stmt))))
                if isinstance(stmt, ast.ClassDef):
                    bodies.append(stmt.body)
                continue
            if isinstance(stmt, ast.Expr) and (name := call_name(stmt.value)):
                names.add(name)  # `registry.register(Report)` on a line of its own
            # Elsewhere only plain names: `os.environ.get(...)` must not make every `get` method warm.
            names.update(
                node.func.id
                for node in ast.walk(stmt)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            )
    return names


# Django calls these once per process while it starts: what they fill in is configuration.
STARTUP_METHODS = frozenset({"ready", "__init_subclass__", "__set_name__"})


def _returns_first_argument(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`def register(cls): ...; return cls`: the shape of a registering decorator."""
    args = [*function.args.posonlyargs, *function.args.args]
    return bool(args) and any(
        isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and node.value.id == args[0].arg
        for node in _own_nodes(function)
    )


def _runs_at_import(function: ast.FunctionDef | ast.AsyncFunctionDef, import_time: set[str], in_class: bool) -> bool:
    return (
        function.name in import_time
        or (in_class and function.name in STARTUP_METHODS)
        or _returns_first_argument(function)
    )


def _functions(node: ast.AST, import_time: set[str], enclosing: frozenset[str] = frozenset(), at_import=False):
    """Every function in the module that may run while serving, with the names local to the functions
    around it (closures). A function called at import time, and those nested in it, are left out."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            runs_at_import = at_import or _runs_at_import(child, import_time, isinstance(node, ast.ClassDef))
            if not runs_at_import:
                yield child, enclosing
            yield from _functions(
                child, import_time, enclosing | (_local_names(child) - _declared_global(child)), runs_at_import
            )
        else:
            yield from _functions(child, import_time, enclosing, at_import)


def module_state_findings(source: Source, import_time: set[str] = frozenset()) -> list[Finding]:
    """The module-level state a parsed module's functions write to."""
    containers = _module_containers(source.tree)
    findings: dict[str, Finding] = {}
    import_time = set(import_time) | import_time_calls(source.tree)
    for function, enclosing in _functions(source.tree, import_time):
        for name, line in _writes(function, set(containers), set(enclosing)):
            finding = findings.setdefault(name, Finding(file=source.file, name=name, line=containers.get(name, line)))
            if line not in finding.write_lines:
                finding.write_lines.append(line)
                finding.write_lines.sort()
    return [
        finding
        for finding in sorted(findings.values(), key=lambda f: f.line)
        if not source.lines[finding.line - 1].rstrip().endswith(WARM)
    ]


def module_state_scan(*, source: str, file: Path) -> list[Finding]:
    """Findings for one module's source text: a file that does not parse has none."""
    try:
        tree = ast.parse(source, filename=str(file))
    except (SyntaxError, ValueError, RecursionError):
        return []
    return module_state_findings(Source(file=file, tree=tree, lines=tuple(source.splitlines())))


def module_state_find(*, sources: list[Source]) -> list[Finding]:
    """Findings for the project's modules: a decorator one module applies fills a registry in another
    at import time, so what runs at import is collected over all of them first."""
    import_time = set().union(*(import_time_calls(source.tree) for source in sources))
    return [finding for source in sources for finding in module_state_findings(source, import_time)]
