"""Layers that only look down: no import cycle in ``nova_toolkit``, no room importing a higher one.

Every module is parsed with :mod:`ast` (nothing is imported, so optional extras do not matter) and
every ``import`` / ``from ... import`` of a ``nova_toolkit`` module is collected at any depth:
function-level imports count, because a lazy import is still a dependency that makes two modules
impossible to understand (or split) apart, and so do the lazy ``_EXPORTS`` maps of package
``__init__`` files. Relative imports are resolved against the importing module's package.
Cycles are the strongly connected components of the module graph, each reported with one
concrete loop through it. ``if TYPE_CHECKING:`` imports never run, so they make no cycle; they
still count for the layer rule (a type-only upward import still makes a low room know a high one).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = "nova_toolkit"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# Rooms from the bottom up (/work/shared/DESIGN.md's room table, adapted to the package as it is).
# A module may import its own room and any room listed before it, never one listed after.
# Where it departs from or adds to the table, and why:
# - ``_core`` is the floor: shared helpers that know no other room. ``datasets`` (where the
#   sample library and the notebooks' folders are) knows only ``_core`` and shares the floor.
# - ``store`` sits below ``vectors`` as in the table (the store must not import faiss; the mirror
#   may use store-level helpers). ``decode`` above ``media``: decoders raise ``MediaError``.
# - ``search_modes`` is the collection's search front, so it shares the collection's rank.
# - ``evaluation`` reads a collection like ``analysis`` does, so it shares analysis' rank; so does
#   ``workshop`` (the workshop notebook's self-checks, which compute answers with ``analysis``).
# - ``twin`` serves the embedders and the mirror over HTTP; only the CLI sits above it.
LAYERS: list[tuple[str, ...]] = [
    ("_core", "datasets"),
    ("media",),
    ("decode",),
    ("segment",),
    ("embedders",),
    ("store",),
    ("vectors",),
    ("pipeline",),
    ("collection", "search_modes"),
    ("analysis", "evaluation", "workshop"),
    ("viz",),
    ("explore", "twin"),
    ("cli",),
]

# Cycles owned by helpers still rewriting their rooms this session. Each entry is a frozenset of the
# modules of one strongly connected component, with its owner. The lead removes entries as the
# owners land their work; a NEW cycle (or a changed one) still fails the test.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    """Absolute name of ``from <level dots><target> import ...`` written in module ``current``."""
    base = current.split(".") if is_package else current.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` is, or lies in (``a.b.func`` → ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement at any depth, with whether it sits under ``if TYPE_CHECKING:``."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append((node, type_only))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(tree, False)
    return found


def _parse(path: Path) -> ast.Module:
    """``ast.parse`` of a module, retried when CPython 3.11's AST converter trips on its
    process-wide recursion counter ("AST constructor recursion depth mismatch", CPython
    gh-106905): another thread of the test process (3.11's traceback carets parse source
    with ``ast`` too) can move it mid-parse. The source is the same; only the race is retried."""
    source = path.read_text(encoding="utf-8")
    for attempt in range(5):
        try:
            return ast.parse(source, filename=str(path))
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == 4:
                raise
    raise AssertionError("unreachable")


def _imports(name: str, path: Path, modules: dict[str, Path]) -> dict[str, bool]:
    """Modules ``name`` imports → True when every such import is for type checking only."""
    tree = _parse(path)
    is_package = path.name == "__init__.py"
    found: dict[str, bool] = {}
    for node, type_only in _import_nodes(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = _resolve(name, is_package, node.level, node.module) if node.level else node.module or ""
            # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one,
            # else a name defined in ``pkg`` itself.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        for target in targets:
            if target.split(".")[0] != PACKAGE:
                continue
            hit = _known(target, modules)
            if hit and hit != name:
                found[hit] = found.get(hit, True) and type_only
    return found


def _lazy_exports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Modules a package ``__init__`` loads by name through ``importlib`` (its ``_EXPORTS`` map)."""
    out: dict[str, set[str]] = {}
    for name, path in modules.items():
        if path.name != "__init__.py":
            continue
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                hit = node.value if node.value in modules and node.value != name else None
                if hit and hit.startswith(PACKAGE + "."):
                    out.setdefault(name, set()).add(hit)
    return out


def build_graph(root: Path = ROOT) -> nx.DiGraph:
    """The package's module import graph (edges importer → imported, flagged ``type_only``)."""
    modules = _modules(root)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target, type_only in _imports(name, path, modules).items():
            graph.add_edge(name, target, type_only=type_only)
    for name, targets in _lazy_exports(modules).items():
        for target in targets:
            graph.add_edge(name, target, type_only=False)
    return graph


def _describe(graph: nx.DiGraph, component: set[str]) -> str:
    sub = graph.subgraph(component)
    loop = nx.find_cycle(sub)
    path = " -> ".join([edge[0] for edge in loop] + [loop[0][0]])
    return f"{len(component)} modules {sorted(component)}\n    e.g. {path}"


def runtime_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """The edges Python executes: ``if TYPE_CHECKING:`` imports dropped (never run, so no cycle)."""
    g = nx.DiGraph()
    g.add_nodes_from(graph)
    g.add_edges_from((a, b) for a, b, type_only in graph.edges(data="type_only") if not type_only)
    return g


def find_cycles(graph: nx.DiGraph) -> list[set[str]]:
    """Strongly connected components with more than one module (or a module importing itself)."""
    g = runtime_graph(graph)
    return [
        set(c) for c in nx.strongly_connected_components(g)
        if len(c) > 1 or g.has_edge(next(iter(c)), next(iter(c)))
    ]


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(room: str) -> int | None:
    for i, names in enumerate(LAYERS):
        if room in names:
            return i
    return None


def test_graph_sees_function_level_and_relative_imports() -> None:
    """The scanner itself: a known relative import and a known import inside a function are edges."""
    graph = build_graph()
    assert len(graph) > 50
    # nova_toolkit/embedders/nova/parse.py does ``from ..base import l2_normalize`` style imports.
    relatives = [
        (a, b) for a, b in graph.edges
        if a.startswith("nova_toolkit.embedders.nova.") and b.startswith("nova_toolkit.embedders")
    ]
    assert relatives
    # nova_toolkit/__init__.py loads every public name lazily, inside a function.
    assert graph.has_edge("nova_toolkit", "nova_toolkit.collection")


def test_scanner_finds_a_hidden_cycle(tmp_path: Path) -> None:
    """A cycle made only of a relative, function-level import is found; a type-only one is not."""
    pkg = tmp_path / PACKAGE
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from ..high import b\n    return b\n")
    (pkg / "high.py").write_text("from nova_toolkit.low.a import f\n")
    (pkg / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nova_toolkit import high\n")
    (pkg / "low" / "c.py").write_text("from nova_toolkit import typed\n")
    graph = build_graph(pkg)
    assert graph.has_edge("nova_toolkit.low.a", "nova_toolkit.high")
    assert find_cycles(graph) == [{"nova_toolkit.low.a", "nova_toolkit.high"}]
    assert graph.edges["nova_toolkit.typed", "nova_toolkit.high"]["type_only"]
    report = _describe(runtime_graph(graph), find_cycles(graph)[0])
    loops = ("nova_toolkit.low.a -> nova_toolkit.high -> nova_toolkit.low.a",
             "nova_toolkit.high -> nova_toolkit.low.a -> nova_toolkit.high")
    assert report.startswith("2 modules") and any(loop in report for loop in loops)


def test_every_module_has_a_room() -> None:
    rooms = {_room(m) for m in build_graph() if m != PACKAGE}
    missing = sorted(r for r in rooms if _rank(r) is None)
    assert not missing, f"rooms missing from LAYERS (add them where they belong): {missing}"


def test_no_import_cycles() -> None:
    graph = build_graph()
    cycles = find_cycles(graph)
    graph = runtime_graph(graph)
    unexpected = [c for c in cycles if frozenset(c) not in ALLOWED_CYCLES]
    stale = [owner for c, owner in ALLOWED_CYCLES.items() if set(c) not in cycles]
    report = "\n".join(f"  - {_describe(graph, c)}" for c in unexpected)
    assert not unexpected, f"import cycles in {PACKAGE} (function-level imports count):\n{report}"
    assert not stale, f"ALLOWED_CYCLES entries no longer found (remove them): {stale}"


def test_lower_rooms_never_import_higher_ones() -> None:
    graph = build_graph()
    allowed = {m for c in ALLOWED_CYCLES for m in c}
    upward = []
    for a, b in graph.edges:
        if a == PACKAGE or (a in allowed and b in allowed):
            continue
        ra, rb = _rank(_room(a)), _rank(_room(b))
        if ra is not None and rb is not None and rb > ra:
            upward.append(f"  - {a} ({_room(a)}) imports {b} ({_room(b)})")
    assert not upward, "lower rooms importing higher ones:\n" + "\n".join(sorted(upward))


@pytest.mark.parametrize(
    ("importer", "level", "module", "expected"),
    [
        ("nova_toolkit.vectors.sync", 1, "client", "nova_toolkit.vectors.client"),
        ("nova_toolkit.vectors.sync", 2, "store", "nova_toolkit.store"),
        ("nova_toolkit.vectors", 1, "client", "nova_toolkit.vectors.client"),
        ("nova_toolkit.embedders.nova.parse", 2, None, "nova_toolkit.embedders"),
    ],
)
def test_relative_import_resolution(importer: str, level: int, module: str | None, expected: str) -> None:
    is_package = importer == "nova_toolkit.vectors"
    assert _resolve(importer, is_package, level, module) == expected


#: The most lines a module may have (DESIGN.md's habit): a longer one holds several jobs.
MAX_MODULE_LINES = 400


def test_every_module_is_at_most_400_lines():
    long = {str(p.relative_to(ROOT.parent)): n for p in sorted(ROOT.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these modules (lines): {long}"
