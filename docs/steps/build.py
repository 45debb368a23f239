"""The workshop's steps and excerpts, generated from the real trees so they cannot drift.

    python docs/steps/build.py write    # docs/steps/NN-*.patch and every excerpt in docs/*.md (make docs)
    python docs/steps/build.py check    # fail if either is stale, before/ + patches != after/, or docs/state.md
                                        # quotes a path, name or setting its tree lacks (make docs-check)
    python docs/steps/build.py step N   # before/ + patches 1..N in .results/steps/NN, the suite on it (make step N=3)
    python docs/steps/build.py steps    # every step on before-2, the table in docs/steps.md (make steps)

A step is every change block of `diff -ruN before after` that docs/steps/steps.toml gives it; the
patch of step N turns the tree of step N-1 into the tree of step N. docs/README.md explains the
`<!-- include: ... -->` and `<!-- patch: ... -->` markers this script keeps in agreement with the trees.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import filecmp
import fnmatch
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from harness.pages import write_block  # noqa: E402 - the repository's one mechanism for generated blocks

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
STEPS_DIR = DOCS / "steps"
SPEC = tomllib.loads((STEPS_DIR / "steps.toml").read_text())
IGNORE = [line.strip() for line in (ROOT / ".diffignore").read_text().splitlines() if line.strip()]
RESULTS = ROOT / ".results" / "steps"
STATE_DOC = DOCS / "state.md"
MARKER = re.compile(r'^<!-- (include|patch|failing): (\S+)((?: "[^"]*")*) -->\s*$')
COLUMNS = ["before-1", "before-2", "before-2-sticky"]


class BuildError(Exception):
    pass


# -- trees ----------------------------------------------------------------------------------------


def ignored(relative: Path) -> bool:
    """What `diff -X .diffignore` leaves out: any path component matching a pattern."""
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in IGNORE)


def tree_files(tree: Path) -> dict[str, Path]:
    files = {}
    for path in sorted(tree.rglob("*")):
        relative = path.relative_to(tree)
        if path.is_file() and not ignored(relative):
            files[relative.as_posix()] = path
    return files


def read_lines(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    text = path.read_text()
    if text and not text.endswith("\n"):
        raise BuildError(f"{path}: no newline at the end; the patches assume one")
    return text.splitlines(keepends=True)


# -- cutting the diff into steps ------------------------------------------------------------------


@dataclass
class Block:
    file: str
    a: tuple[int, int]
    b: tuple[int, int]
    text: str
    step: int = 0


def blocks_of(file: str, old: list[str], new: list[str]) -> list[Block]:
    found = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if Path(file).name.startswith("requirements") and (tag != "replace" or i2 - i1 == j2 - j1):
            # One package a line: each line is a block of its own.
            for k in range(max(i2 - i1, j2 - j1)):
                a = (i1 + k, i1 + k + 1) if tag != "insert" else (i1, i1)
                b = (j1 + k, j1 + k + 1) if tag != "delete" else (j1, j1)
                found.append(Block(file, a, b, "".join(old[a[0] : a[1]] + new[b[0] : b[1]])))
        else:
            found.append(Block(file, (i1, i2), (j1, j2), "".join(old[i1:i2] + new[j1:j2])))
    return found


def assign(blocks: list[Block]) -> None:
    used = [0] * len(SPEC["rule"])
    for block in blocks:
        for index, rule in enumerate(SPEC["rule"]):
            if (
                fnmatch.fnmatch(block.file, rule["file"])
                and rule.get("match", "") in block.text
                and re.search(rule.get("regex", ""), block.text, re.M)
            ):
                block.step, used[index] = rule["step"], used[index] + 1
                break
        else:
            first = block.text.splitlines()[0] if block.text else ""
            raise BuildError(
                f"no rule in docs/steps/steps.toml claims this change to {block.file} "
                f"(lines {block.a[0] + 1}-{block.a[1]} of before/, {block.b[0] + 1}-{block.b[1]} of after/), "
                f"starting {first!r}"
            )
    for index, rule in enumerate(SPEC["rule"]):
        if not used[index]:
            raise BuildError(f"docs/steps/steps.toml: rule {rule} claims no change; remove or fix it")


def trees_by_step() -> list[dict[str, list[str] | None]]:
    """The content of every changed file after each step: index 0 is before/, the last is after/."""
    before, after = tree_files(ROOT / "before"), tree_files(ROOT / "after")
    files = {}
    blocks = []
    for name in sorted(set(before) | set(after)):
        old, new = read_lines(before.get(name)), read_lines(after.get(name))
        if old != new:
            files[name] = (old, new)
            blocks += blocks_of(name, old or [], new or [])
    assign(blocks)
    last = len(SPEC["step"])
    trees = []
    for step in range(last + 1):
        tree = {}
        for name, (old, new) in files.items():
            mine = [b for b in blocks if b.file == name]
            lines, cursor = [], 0
            for block in mine:
                lines += (old or [])[cursor : block.a[0]]
                taken = (new or [])[block.b[0] : block.b[1]] if block.step <= step else (old or [])[slice(*block.a)]
                lines += taken
                cursor = block.a[1]
            lines += (old or [])[cursor:]
            if old is None:  # a new file appears with its first block
                exists = any(b.step <= step for b in mine)
            else:  # a deleted file goes with its last block
                exists = new is not None or not all(b.step <= step for b in mine)
            tree[name] = lines if exists else None
        trees.append(tree)
    if trees[-1] != {name: new for name, (old, new) in files.items()}:
        raise BuildError("the last step does not reproduce after/: a rule names a step beyond the last")
    return trees


def unified(name: str, old: list[str] | None, new: list[str] | None) -> str:
    return "".join(
        difflib.unified_diff(
            old or [],
            new or [],
            fromfile=f"a/{name}" if old is not None else "/dev/null",
            tofile=f"b/{name}" if new is not None else "/dev/null",
        )
    )


def patch_name(step: dict) -> str:
    return f"{step['number']:02d}-{step['slug']}.patch"


def patches() -> dict[str, str]:
    trees = trees_by_step()
    out = {}
    for step in SPEC["step"]:
        n = step["number"]
        body = "".join(unified(name, trees[n - 1][name], trees[n][name]) for name in trees[n])
        head = (
            f"Step {n} of {len(SPEC['step'])}: {step['title']} (docs/{step['doc']}).\n"
            "Generated by docs/steps/build.py from before/, after/ and docs/steps/steps.toml: edit those, "
            "then `make docs`.\n"
        )
        if not body:
            head += f"This step changes no file. {step.get('note', '')}".rstrip() + "\n"
        out[patch_name(step)] = head + body
    return out


# -- materializing a step -------------------------------------------------------------------------


def materialize(n: int, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "before", target, ignore=lambda d, names: [x for x in names if ignored(Path(x))])
    for step in SPEC["step"][:n]:
        patch = STEPS_DIR / patch_name(step)
        if "\n--- " not in patch.read_text():
            continue
        subprocess.run(
            ["patch", "-p1", "-s", "-E", "--no-backup-if-mismatch", "-d", str(target), "-i", str(patch)], check=True
        )
    return target


def same_tree(left: Path, right: Path) -> list[str]:
    a, b = tree_files(left), tree_files(right)
    differ = sorted(set(a) ^ set(b))
    differ += [name for name in sorted(set(a) & set(b)) if not filecmp.cmp(a[name], b[name], shallow=False)]
    return differ


# -- excerpts in the docs -------------------------------------------------------------------------


def excerpt(kind: str, source: str, args: list[str], built: dict[str, str]) -> tuple[str, str]:
    """The (language, text) a marker stands for."""
    if kind == "include":
        path = ROOT / source
        lines = path.read_text().splitlines(keepends=True)
        if args:
            start = next((i for i, line in enumerate(lines) if args[0] in line), None)
            if start is None:
                raise BuildError(f"{source}: no line contains {args[0]!r}")
            end_text = args[1] if len(args) > 1 else args[0]
            end = next((i for i in range(start, len(lines)) if end_text in lines[i]), None)
            if end is None:
                raise BuildError(f"{source}: no line after {args[0]!r} contains {end_text!r}")
            lines = lines[start : end + 1]
        languages = {".py": "python", ".toml": "toml", ".txt": "text", ".html": "html", ".yaml": "yaml"}
        language = languages.get(path.suffix, "text")
        comment = "{# %s #}\n" if path.suffix == ".html" else "# %s\n"
        return language, comment % source + "".join(lines)
    step = next((s for s in SPEC["step"] if f"{s['number']:02d}" == source), None)
    if step is None:
        raise BuildError(f"patch marker names step {source!r}; steps are 01..{len(SPEC['step']):02d}")
    sections = re.split(r"(?m)^(?=--- )", built[patch_name(step)])[1:]
    if not sections and not args:  # a step that changes no file: its patch says so
        return "text", f"# docs/steps/{patch_name(step)}\n" + built[patch_name(step)]
    if args:
        sections = [s for s in sections if s.split("\n", 2)[1].endswith("/" + args[0])]
        if not sections:
            raise BuildError(f"step {source} changes no file {args[0]!r}")
    if len(args) > 1:
        kept = []
        for section in sections:
            header, *hunks = re.split(r"(?m)^(?=@@ )", section)
            hunks = [h for h in hunks if all(text in h for text in args[1:])]
            if not hunks:
                raise BuildError(f"step {source}, {args[0]}: no hunk contains {args[1:]}")
            kept.append(header + "".join(hunks))
        sections = kept
    return "diff", "".join(sections)


def docstrings() -> dict[str, str]:
    """'test_sessions.py::test_name' -> its docstring on one line, the scorecard's row for it."""
    found = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                found[f"{path.name}::{node.name}"] = " ".join((ast.get_docstring(node) or "").split())
    return found


def failing(kind: str) -> str:
    """The tests tests/expected.toml says fail because of this kind of state, as a Markdown table."""
    expected = tomllib.loads((ROOT / "tests" / "expected.toml").read_text())
    if kind not in expected["kinds"]:
        raise BuildError(f"unknown kind of state {kind!r}; tests/expected.toml knows {expected['kinds']}")
    rows = {}
    for column in COLUMNS:
        for key, why in expected.get(column, {}).items():
            if why == kind:
                rows.setdefault(key, set()).add(column)
    if not rows:
        raise BuildError(f"tests/expected.toml lists no test failing for {kind!r}")
    docs_of = docstrings()
    lines = ["| test | scorecard row | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for key in sorted(rows, key=list(docs_of).index):
        cells = " | ".join("FAIL" if column in rows[key] else "pass" for column in COLUMNS)
        lines.append(f"| `{key.replace('::', ' ')}` | {docs_of[key]} | {cells} |")
    return "\n".join(lines) + "\n"


def render_doc(text: str, built: dict[str, str], where: str) -> str:
    lines = text.splitlines(keepends=True)
    out, i = [], 0
    while i < len(lines):
        out.append(lines[i])
        found = MARKER.match(lines[i])
        i += 1
        if not found:
            continue
        kind, source, quoted = found.groups()
        if kind == "failing":  # a table up to <!-- /failing -->, not a fenced block
            end = next((j for j in range(i, len(lines)) if lines[j].strip() == "<!-- /failing -->"), None)
            if end is None:
                raise BuildError(f"{where}: {lines[i - 1].strip()} has no <!-- /failing --> after it")
            try:
                out.append(failing(source.replace("-", " ")))
            except BuildError as exc:
                raise BuildError(f"{where}: {exc}") from None
            i = end
            continue
        try:
            language, body = excerpt(kind, source, re.findall(r'"([^"]*)"', quoted), built)
        except (BuildError, OSError) as exc:
            raise BuildError(f"{where}: {lines[i - 1].strip()}: {exc}") from None
        if i < len(lines) and lines[i].startswith("```"):  # replace the block that is there
            fence = re.match(r"`+", lines[i]).group()
            i += 1
            while i < len(lines) and lines[i].rstrip() != fence:
                i += 1
            i += 1
        fence = "````" if "```" in body else "```"
        out.append(f"{fence}{language}\n{body}{fence}\n")
    return "".join(out)


def docs(built: dict[str, str]) -> dict[Path, str]:
    return {path: render_doc(path.read_text(), built, path.name) for path in sorted(DOCS.glob("*.md"))}


# -- docs/state.md: every name it quotes is where it says ----------------------------------------

CODE_SPAN = re.compile(r"`([^`]+)`")
IDENTIFIER = r"[A-Za-z_]\w*"
SETTING = r"[A-Z][A-Z0-9_]*"


def normalized(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", requirement).lower()


class TreeFacts:
    """What a tree defines, read from its files without running them."""

    def __init__(self, tree: Path):
        self.tree = tree
        self.python = "\n".join(path.read_text() for path in tree_files(tree).values() if path.suffix == ".py")
        self.requirements = {
            normalized(re.split(r"[=<>\[ ;]", line, maxsplit=1)[0])
            for line in (tree / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        # SETTING -> its value, (SETTING, key) -> the value of SETTING["key"], and the variables env() reads.
        self.settings, self.items, self.environment, self.functions = {}, {}, set(), {}
        module = ast.parse((tree / "config" / "settings.py").read_text())
        for node in module.body:
            if isinstance(node, ast.FunctionDef):  # a helper such as redis_cache()
                self.functions[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.settings[target.id] = node.value
                        if isinstance(node.value, ast.Dict):
                            for key, value in zip(node.value.keys, node.value.values, strict=True):
                                if isinstance(key, ast.Constant):
                                    self.items[target.id, key.value] = value
                    elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                        self.items[target.value.id, ast.literal_eval(target.slice)] = node.value
        for node in ast.walk(module):
            # env("NAME", ...), env.bool("NAME", ...), env.db("NAME", ...)
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).split(".")[0] == "env"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                self.environment.add(node.args[0].value)

    def module(self, dotted: str) -> tuple[Path, list[str]] | str:
        """The file of the longest module prefix of a dotted name, and the names after it."""
        parts = dotted.split(".")
        if (self.tree / parts[0]).is_dir() or (self.tree / f"{parts[0]}.py").is_file():
            base = self.tree
        else:
            spec = importlib.util.find_spec(parts[0])
            if spec is None or spec.origin is None:
                return f"names no module of {self.tree.name}/ and no installed package"
            distributions = importlib.metadata.packages_distributions().get(parts[0], [parts[0]])
            if not {normalized(d) for d in distributions} & self.requirements:
                return f"comes from {distributions[0]}, which {self.tree.name}/requirements.txt does not install"
            base = Path(spec.origin).parent.parent if spec.submodule_search_locations else Path(spec.origin).parent
        found = None
        for i in range(1, len(parts) + 1):
            stem = base.joinpath(*parts[:i])
            for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
                if candidate.is_file():
                    found = (candidate, parts[i:])
        return found or f"is no module file under {base}"

    def verify_dotted(self, dotted: str) -> str | None:
        found = self.module(dotted)
        if isinstance(found, str):
            return found
        path, names = found
        scope = ast.parse(path.read_text()).body
        for name in names:
            defined = {}
            for node in scope:
                if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    defined[node.name] = node.body
                elif isinstance(node, ast.Assign | ast.AnnAssign):
                    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        if isinstance(target, ast.Name):
                            defined[target.id] = []
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    defined.update({(alias.asname or alias.name).split(".")[0]: [] for alias in node.names})
            if name not in defined:
                module = ".".join(dotted.split(".")[: -len(names)])
                return f"is not defined: module {module} ({path.name}) has no {name!r}"
            scope = defined[name]
        return None

    def verify(self, token: str) -> str | None:
        """None when the quoted text is true of this tree, else what is wrong with it."""
        if found := re.fullmatch(rf"({SETTING}) = (.+)", token):
            if found[1] not in self.settings:
                return "is no setting"
            actual, quoted = self.settings[found[1]], ast.parse(found[2], mode="eval").body
            if ast.dump(actual) != ast.dump(quoted):
                return f"is {ast.unparse(actual)} in config/settings.py"
            return None
        if found := re.fullmatch(rf"({SETTING})\[\"([^\"]+)\"\]", token):
            return None if (found[1], found[2]) in self.items else f"has no key {found[2]!r}"
        if found := re.fullmatch(rf"({SETTING})(\*?)", token):
            names = set(self.settings) | self.environment
            if found[2]:
                return None if any(n.startswith(found[1]) for n in names) else "matches no setting or variable"
            return None if found[1] in names else "is neither a setting nor an environment variable it reads"
        if found := re.fullmatch(r"make ([\w-]+)", token):
            return None if re.search(rf"^{found[1]}:", (ROOT / "Makefile").read_text(), re.M) else "is no target"
        if found := re.fullmatch(r"manage\.py (\w+)", token):
            commands = list(self.tree.glob(f"*/management/commands/{found[1]}.py"))
            return None if commands else "is no management command of this tree"
        if re.fullmatch(r"/[\w/.<>:-]*", token):
            routes = "\n".join(p.read_text() for p in self.tree.glob("*/urls.py"))
            return None if f'"{token.strip("/")}' in routes else "is no route"
        file_like = "/" in token or re.search(r"\.(py|txt|toml|ya?ml|md|html|ini|js|css)$", token)
        if re.fullmatch(r"[\w.-]+(/[\w.-]+)*/?", token) and file_like:
            exists = (self.tree / token).exists() or (ROOT / token).exists()
            return None if exists and not ignored(Path(token)) else "does not exist"
        if re.fullmatch(rf"{IDENTIFIER}(\.{IDENTIFIER})+", token):
            return self.verify_dotted(token)
        if re.fullmatch(IDENTIFIER, token):
            return None if re.search(rf"\b{token}\b", self.python) else "occurs in none of its Python files"
        return "cannot be checked: quote a path, a dotted name, a setting, `SETTING = value` or a command"

    def verify_value(self, setting: str, value: str) -> str | None:
        """`SETTING` = `value` or `SETTING["key"]` = `value`: the value is a string in that setting (or ends one)."""
        found = re.fullmatch(rf"({SETTING})(?:\[\"([^\"]+)\"\])?", setting)
        if found is None:
            return "is not a setting, so it has no value to check"
        node = self.settings.get(found[1]) if found[2] is None else self.items.get((found[1], found[2]))
        nodes = list(ast.walk(node)) if node else []
        for call in [n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]:
            if call.func.id in self.functions:  # what the helper returns is part of the value
                nodes += ast.walk(self.functions[call.func.id])
        strings = [n.value for n in nodes if isinstance(n, ast.Constant)]
        if any(s == value or str(s).endswith(f".{value}") for s in strings):
            return None
        return f"is not {value!r} in config/settings.py"


def state_problems() -> list[str]:
    """docs/state.md is typed by hand: each quoted path, dotted name and setting must hold in the tree
    its column names (the prose below the table, in both), `SETTING` = `value` must be that setting's
    value, and every file make diff changes must be named."""
    facts = {tree: TreeFacts(ROOT / tree) for tree in ("before", "after")}
    text = STATE_DOC.read_text()
    before, after = tree_files(ROOT / "before"), tree_files(ROOT / "after")
    changed = [
        name for name in sorted(set(before) | set(after)) if read_lines(before.get(name)) != read_lines(after.get(name))
    ]
    quoted = set(CODE_SPAN.findall(text))
    problems = [f"docs/state.md names no `{name}`, which make diff changes" for name in changed if name not in quoted]
    columns = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("|"):
            columns = None
            cells = [(line, ("before", "after"))]
        else:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if columns is None:  # the header names the tree of each column
                columns = [tuple(t for t in ("before", "after") if f"{t}/" in c) or ("before", "after") for c in cells]
                continue
            cells = list(zip(cells, columns, strict=True))
        for cell, trees in cells:
            for token in CODE_SPAN.findall(cell):
                for tree in trees:
                    if (wrong := facts[tree].verify(token)) is not None:
                        problems.append(f"docs/state.md:{number}: `{token}` {wrong} ({tree}/)")
            for setting, value in re.findall(r"`([^`]+)` = `([^`]+)`", cell):
                for tree in trees:
                    if (wrong := facts[tree].verify_value(setting, value)) is not None:
                        problems.append(f"docs/state.md:{number}: `{setting}` {wrong} ({tree}/)")
    return problems


# -- commands -------------------------------------------------------------------------------------


def write() -> None:
    built = patches()
    for old in STEPS_DIR.glob("*.patch"):
        if old.name not in built:
            old.unlink()
    for name, text in built.items():
        (STEPS_DIR / name).write_text(text)
    for path, text in docs(built).items():
        if path.read_text() != text:
            path.write_text(text)
            print(f"refreshed {path.relative_to(ROOT)}")
    print(f"wrote {len(built)} patches in {STEPS_DIR.relative_to(ROOT)}")


def check() -> None:
    built = patches()
    problems = []
    on_disk = {p.name for p in STEPS_DIR.glob("*.patch")}
    for name in sorted(on_disk ^ set(built)):
        problems.append(f"docs/steps/{name}: {'missing' if name in built else 'no such step'}")
    for name, text in built.items():
        if name in on_disk and (STEPS_DIR / name).read_text() != text:
            problems.append(f"docs/steps/{name} differs from what the trees give")
    for path, text in docs(built).items():
        if path.read_text() != text:
            problems.append(f"docs/{path.name}: an excerpt no longer matches the file it includes")
    problems += state_problems()
    if not problems:
        with tempfile.TemporaryDirectory() as scratch:
            tree = materialize(len(SPEC["step"]), Path(scratch) / "tree")
            differ = same_tree(tree, ROOT / "after")
            problems += [f"before/ + every step differs from after/ in {name}" for name in differ]
    if problems:
        raise BuildError("\n".join(problems) + "\nrun `make docs` and review the result")
    print(f"docs: {len(built)} steps, before/ + steps == after/, every excerpt matches its file, state.md holds")


def run_step(n: int, topology: str) -> dict:
    tree = materialize(n, RESULTS / f"{n:02d}")
    results = RESULTS / f"{n:02d}-{topology}.json"
    command = [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "--runxfail"]
    command += ["--topology", topology, "--results", str(results)]
    print(f"step {n}: {tree.relative_to(ROOT)} on {topology}: {' '.join(command[1:])}", flush=True)
    # --runxfail: a step is between the rows of tests/expected.toml, so report what happens, not a verdict.
    subprocess.run(command, cwd=ROOT, env={**os.environ, "SHOP_TREE_DIR": str(tree)})
    outcome = json.loads(results.read_text())
    counts = {kind: sum(cells[topology]["outcome"] == kind for cells in outcome.values()) for kind in OUTCOMES}
    print(f"step {n} on {topology}: " + ", ".join(f"{count} {kind}" for kind, count in counts.items()))
    for key in sorted(key for key, cells in outcome.items() if cells[topology]["outcome"] == "fail"):
        print(f"  FAIL {key}")
    return outcome


OUTCOMES = {"pass": "pass", "fail": "FAIL", "skip": "skip"}


def steps_table(topology: str, *, measure: bool) -> None:
    numbers = range(len(SPEC["step"]) + 1)
    if measure:
        runs = [run_step(n, topology) for n in numbers]
    else:
        runs = [json.loads((RESULTS / f"{n:02d}-{topology}.json").read_text()) for n in numbers]
    expected = tomllib.loads((ROOT / "tests" / "expected.toml").read_text())
    kinds, order = expected[topology], expected["kinds"]
    cells = {
        key: [OUTCOMES[run.get(key, {}).get(topology, {}).get("outcome", "skip")] for run in runs] for key in runs[0]
    }
    shown = [key for key, row in cells.items() if len(set(row)) > 1 or row[0] == "FAIL"]
    shown.sort(key=lambda k: (order.index(kinds[k]) if k in kinds else len(order), k))
    header = (
        "| test | fails on before-2 for | 0 | "
        + " | ".join(f"[{n}](steps/{patch_name(s)})" for n, s in zip(numbers[1:], SPEC["step"], strict=True))
        + " |"
    )
    rows = [header, "|---|---|" + "---|" * len(runs)]
    rows += [f"| `{key}` | {kinds.get(key, '')} | " + " | ".join(cells[key]) + " |" for key in shown]
    passed = [sum(c[topology]["outcome"] == "pass" for c in run.values()) for run in runs]
    rows.append(f"| **passing, of {len(runs[0])}** | | " + " | ".join(str(p) for p in passed) + " |")
    always = sum(set(row) == {"pass"} for row in cells.values())
    skipped = sorted(key for key, row in cells.items() if set(row) == {"skip"})
    files = ", ".join(sorted({key.split("::")[0] for key in skipped}))
    left_out = f"the {always} that pass at every step" + (
        f", and the {len(skipped)} that skip on {topology} at every step ({files})" if skipped else ""
    )
    names = ", ".join(f"{s['number']} {s['title'].lower()}" for s in SPEC["step"])
    table = (
        f"Measured on {topology}. Columns: 0 is before/, then each step applied ({names}).\n"
        f"Rows: every test that fails at some step. Left out: {left_out}.\n\n" + "\n".join(rows)
    )
    write_block(DOCS / "steps.md", "steps", table)
    print("written to docs/steps.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("write")
    sub.add_parser("check")
    one = sub.add_parser("step")
    one.add_argument("n", type=int, choices=range(len(SPEC["step"]) + 1))
    one.add_argument("--topology", default="before-2")
    every = sub.add_parser("steps")
    every.add_argument("--topology", default="before-2")
    every.add_argument("--table-only", action="store_true", help="only redraw the table from the last run's results")
    args = parser.parse_args()
    try:
        if args.command == "write":
            write()
        elif args.command == "check":
            check()
        elif args.command == "step":
            run_step(args.n, args.topology)
        else:
            steps_table(args.topology, measure=not args.table_only)
    except BuildError as exc:
        sys.exit(f"docs/steps/build.py: {exc}")


if __name__ == "__main__":
    main()
