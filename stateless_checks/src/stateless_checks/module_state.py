"""Find module-level state that functions write to: the dict a view fills is the replica's own.

A static scan (ast), so it reports where to look rather than proving anything. Flagged: a module-level
dict/list/set (or defaultdict, Counter, deque...) that a function changes with `X[...] = `, `del X[...]`
or a mutating method, and any name a function rebinds after `global X`. Not flagged, being warm state
any process can rebuild: functools.lru_cache/cache, compiled regexes, constants never written, a
`global` set up once under `if X is None:`, and lines ending with `# stateless: warm`.
Writes at import time (module or class body) are configuration, not state, and so are not flagged.
Management commands, migrations and tests never serve a request and are skipped.
"""

import ast
from dataclasses import dataclass, field
from pathlib import Path

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
SKIPPED_DIRS = frozenset({"__pycache__", "management", "migrations", "tests"})
SKIPPED_FILES = frozenset({"conftest.py", "tests.py"})
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
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def _lazy_setups(function: ast.AST, name: str) -> set[int]:
    """Lines inside `if X is None:` blocks, where rebinding X only fills in warm state once."""
    lines = set()
    for node in _own_nodes(function):
        if isinstance(node, ast.If) and _tests_unset(node.test, name):
            for stmt in node.body:
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return lines


def _writes(function: ast.FunctionDef | ast.AsyncFunctionDef, containers: set[str], enclosing: set[str]):
    """(name, line) for each write this function makes to module-level state."""
    declared = _declared_global(function)
    shadowed = (_local_names(function) | enclosing) - declared
    mutable = (containers | declared) - shadowed
    for node in _own_nodes(function):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            name = _base_name(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            name = _base_name(node.func.value)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del) and node.id in declared:
            if node.lineno in _lazy_setups(function, node.id):
                continue
            yield node.id, node.lineno
            continue
        else:
            continue
        if name in mutable:
            yield name, node.lineno


def _functions(node: ast.AST, enclosing: frozenset[str] = frozenset()):
    """Every function in the module with the names local to the functions around it (closures)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield child, enclosing
            yield from _functions(child, enclosing | (_local_names(child) - _declared_global(child)))
        else:
            yield from _functions(child, enclosing)


def module_state_scan(*, source: str, file: Path) -> list[Finding]:
    try:
        tree = ast.parse(source, filename=str(file))
    except SyntaxError:
        return []  # Python reports it on import; nothing to say about its state.
    lines = source.splitlines()
    containers = _module_containers(tree)
    findings: dict[str, Finding] = {}
    for function, enclosing in _functions(tree):
        for name, line in _writes(function, set(containers), set(enclosing)):
            finding = findings.setdefault(name, Finding(file=file, name=name, line=containers.get(name, line)))
            if line not in finding.write_lines:
                finding.write_lines.append(line)
                finding.write_lines.sort()
    return [
        finding
        for finding in sorted(findings.values(), key=lambda f: f.line)
        if not lines[finding.line - 1].rstrip().endswith(WARM)
    ]


def module_state_find(*, path: Path) -> list[Finding]:
    """Findings for every Python file under an app's folder, tests, migrations and commands aside."""
    findings = []
    for file in sorted(path.rglob("*.py")):
        relative = file.relative_to(path)
        if SKIPPED_DIRS & set(relative.parts[:-1]) or file.name.startswith("test_") or file.name in SKIPPED_FILES:
            continue
        findings.extend(module_state_scan(source=file.read_text(encoding="utf-8"), file=file))
    return findings
