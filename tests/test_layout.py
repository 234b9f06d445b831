"""The package layout: stages as subpackages, imports one way, no import cycle.

The rule (docs/design.md): a module may import its own stage and the stages below it,
never a stage above. The graph is built from the source the way
``shared/tools/import_cycles.py`` builds it: every ``import`` statement counts, also the
ones inside functions and under ``TYPE_CHECKING``, and ``from pkg import name`` counts
as an import of ``pkg`` as well as of ``pkg.name``.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import covgap

PACKAGE = Path(covgap.__file__).resolve().parent

#: Stage of each top-level entry; core is the package itself and errors, schema, config.
STAGES = {
    "": "core",
    "errors": "core",
    "schema": "core",
    "config": "core",
    "io": "io",
    "sample": "sample",
    "radio": "radio",
    "analysis": "analysis",
    "outputs": "outputs",
    "request": "request",
    "plan": "plan",
    "pipeline": "pipeline",
    "cli": "cli",
}
#: What each stage may import (besides itself).
MAY_IMPORT = {
    "core": set(),
    "io": {"core"},
    "sample": {"core", "io", "radio"},
    "radio": {"core", "io"},
    "analysis": {"core", "io", "sample", "radio"},
    "outputs": {"core", "io", "sample", "radio", "analysis"},
    "request": {"core", "io", "sample", "radio", "analysis", "outputs"},
    "plan": {"core", "io", "sample", "radio", "analysis", "outputs", "request"},
    "pipeline": {"core", "io", "sample", "radio", "analysis", "outputs", "request", "plan"},
    "cli": {"core", "io", "sample", "radio", "analysis", "outputs", "request", "plan", "pipeline"},
}


def _modules(root: Path) -> dict[str, Path]:
    pkg = root.name
    out = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path
    assert pkg in out
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (conservatively, as the shared tool)."""
    mods = _modules(root)
    pkg = root.name
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [stem] + [f"{stem}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if target and target != name and (target + ".").startswith(pkg + "."):
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def stage_of(module: str) -> str:
    parts = module.split(".")[1:]
    return STAGES[parts[0] if parts else ""]


def reverse_imports(edges: dict[str, set[str]]) -> list[str]:
    """Imports from a stage to one it may not import, as ``a -> b`` lines."""
    bad = []
    for src, targets in sorted(edges.items()):
        for dst in sorted(targets):
            s, d = stage_of(src), stage_of(dst)
            if s != d and d not in MAY_IMPORT[s]:
                bad.append(f"{src} ({s}) -> {dst} ({d})")
    return bad


def test_every_module_belongs_to_a_stage():
    for module in _modules(PACKAGE):
        assert stage_of(module) in MAY_IMPORT, module


def test_no_import_cycle():
    assert cycles(import_graph(PACKAGE)) == []


def test_imports_run_one_way():
    assert reverse_imports(import_graph(PACKAGE)) == []


def test_the_rule_catches_a_reverse_import_and_a_cycle(tmp_path):
    copy = tmp_path / "covgap"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "web", "_data"))
    terrain = copy / "io" / "terrain.py"
    terrain.write_text(
        terrain.read_text(encoding="utf-8") + "\n\ndef _late():\n    from ..radio import point\n",
        encoding="utf-8",
    )
    edges = import_graph(copy)
    assert "covgap.io.terrain (io) -> covgap.radio.point (radio)" in reverse_imports(edges)
    # radio.point imports io.terrain: the added import closes a cycle
    assert any({"covgap.io.terrain", "covgap.radio.point"} <= c for c in cycles(edges))


def test_top_level_holds_the_stages_and_nothing_else():
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    stages = {f"{name}.py" if name in ("errors", "schema", "config", "pipeline") else name
              for name in STAGES if name}  # fmt: skip
    assert entries == stages | {"__init__.py", "py.typed"}
    assert len(entries) <= 14


@pytest.mark.parametrize(
    "stage", ["io", "radio", "analysis", "outputs", "request", "plan", "sample"]
)
def test_stage_says_what_it_holds_and_may_import(stage):
    import importlib

    module = importlib.import_module(f"covgap.{stage}")
    assert module.__doc__ and "Import rule" in module.__doc__
    # the public names it exports exist
    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)


def test_the_top_package_imports_nothing_of_its_own():
    # every module may read covgap.__version__: the top package must stay import-free
    assert import_graph(PACKAGE)["covgap"] == set()


def test_model_names_match_the_engine():
    from covgap.radio.models import MODEL_DESCRIPTIONS, MODELS
    from covgap.schema import MODEL_NAMES

    assert set(MODELS) == set(MODEL_NAMES) == set(MODEL_DESCRIPTIONS)
