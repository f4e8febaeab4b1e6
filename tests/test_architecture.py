"""The layers of docs/architecture.md, read from the source: what each module imports (its AST,
every import at any depth, including those inside functions) against what its layer may.

A failure names the importing module, the imported one and the rule it breaks."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

FOUNDATION = {"accord.records", "accord.errors", "accord.clock"}
"""Plain records, domain errors and the clock: what every layer may take."""
CORE = {
    "accord.rules",
    "accord.safeguards",
    "accord.screening",
    "accord.matching",
    "accord.statistics",
    "accord.workflow",
}
"""The pure core: decisions on plain data, with no database, web or command line."""
FEATURES = {
    "accord.audit",
    "accord.accounts",
    "accord.agreements",
    "accord.cases",
    "accord.documents",
    "accord.proposals",
    "accord.monitoring",
    "accord.transparency",
    "accord.exchange",
    "accord.operations",
}
ADAPTER_NAMES = {"api", "pages", "cli"}
"""Modules of a feature folder that face the outside (also `*_api`, `*_pages`, `*_cli`)."""
ASSEMBLY = {"accord.cli", "accord.web.app", "accord.web.factory", "accord.scenarios"}
"""What puts the whole together: may import anything, and nothing but itself imports it."""


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {
        module_name(p): p
        for p in (SRC / "accord").rglob("*.py")
        if "migrations" not in p.relative_to(SRC).parts
    }


def imports_of(name: str, path: Path) -> Iterator[str]:
    """Every Accord module `name` imports (for `from a import b`, `a.b` when that is a module)."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        yield from (t for t in targets if t == "accord" or t.startswith("accord."))


def within(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def is_adapter(name: str) -> bool:
    last = name.rpartition(".")[2]
    return last in ADAPTER_NAMES or last.rpartition("_")[2] in ADAPTER_NAMES


def node(name: str) -> str:
    """The unit the no-cycle rule is about: a package, a top-level module, or a feature folder's
    domain (`accord.cases`) apart from its adapters (`accord.cases:adapters`)."""
    for prefix in sorted(ASSEMBLY, key=len, reverse=True):
        if within(name, {prefix}):
            return prefix
    parts = name.split(".")
    top = ".".join(parts[:2])
    if top in FEATURES and is_adapter(name):
        return f"{top}:adapters"
    return top


def edges() -> list[tuple[str, str]]:
    return [(name, target) for name, path in modules().items() for target in imports_of(name, path)]


def core_breaches() -> list[str]:
    allowed = FOUNDATION | CORE
    return sorted(
        f"{name} imports {target}: the core imports only the records, errors, clock and itself"
        for name, target in edges()
        if within(name, CORE) and not within(target, allowed)
    )


def foundation_breaches() -> list[str]:
    return sorted(
        f"{name} imports {target}: the records, errors and clock import only each other"
        for name, target in edges()
        if within(name, FOUNDATION) and not within(target, FOUNDATION)
    )


def adapter_breaches() -> list[str]:
    """No domain module (nor the core, nor the storage) imports an adapter or the assembly."""
    return sorted(
        f"{name} imports {target}: only adapters and the assembly import adapters"
        for name, target in edges()
        if (
            (is_adapter(target) and within(target, FEATURES))
            or any(within(target, {a}) for a in ASSEMBLY)
        )
        and node(name) != node(target)
        and not (is_adapter(name) and within(name, FEATURES))
        and node(name) not in ASSEMBLY
    )


def cycles() -> list[list[str]]:
    """Strongly connected groups of more than one node in the graph of nodes (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, target in edges():
        if node(name) != node(target):
            graph[node(name)].add(node(target))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_the_core_imports_only_the_records_and_itself() -> None:
    assert core_breaches() == []


def test_the_records_import_nothing_above_them() -> None:
    assert foundation_breaches() == []


def test_nothing_below_an_adapter_imports_one() -> None:
    assert adapter_breaches() == []


STILL_TO_CUT: list[list[str]] = []
"""Cycles known and being cut; must only shrink (none is left: the pages call the commands and
read models the API calls, not the API's handlers)."""


def test_no_import_cycle_between_packages() -> None:
    assert cycles() == STILL_TO_CUT


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accord.cases.api", "accord.cases:adapters"),
        ("accord.proposals.matching_cli", "accord.proposals:adapters"),
        ("accord.cases.service", "accord.cases"),
        ("accord.web.app", "accord.web.app"),
        ("accord.scenarios.demo", "accord.scenarios"),
        ("accord.rules.grammar", "accord.rules"),
    ],
)
def test_a_module_belongs_to_its_node(name: str, expected: str) -> None:
    assert node(name) == expected


def test_the_walk_sees_a_breach_and_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules above fail on the imports they forbid (checked on a made-up graph)."""
    made_up = [
        ("accord.matching.solver", "accord.db"),
        ("accord.cases.service", "accord.proposals.service"),
        ("accord.proposals.service", "accord.cases.repository"),
    ]
    monkeypatch.setattr(__import__(__name__, fromlist=["edges"]), "edges", lambda: made_up)
    assert core_breaches() == [
        "accord.matching.solver imports accord.db: the core imports only the records,"
        " errors, clock and itself"
    ]
    assert cycles() == [["accord.cases", "accord.proposals"]]


def is_kind(name: str, kind: str) -> bool:
    """Whether a module is an adapter of that kind: `api`, `pages`, `cli` (or `*_api`, …)."""
    last = name.rpartition(".")[2]
    return kind in (last, last.rpartition("_")[2])


def test_pages_import_no_api_module() -> None:
    """Pages never import an API module: a page calls the commands and read models the API's
    handlers call (docs/architecture.md, "A new page"), not the handlers."""
    assert (
        sorted(
            f"{name} imports {target}: a page calls commands and read models, not API handlers"
            for name, target in edges()
            if is_kind(name, "pages") and is_kind(target, "api")
        )
        == []
    )
