"""The package reads top to bottom in the order the data flows; the store matches its contract.

Layers, lowest first (a module may import its own layer or any layer below it, never
one above; within a layer, packages must not import each other in a cycle):

0. foundations: ``settings``, ``sql``, ``crs``, ``stats``, ``escape``, ``exports``, ``scope``,
   ``_threads``
1. ``sources``   (catalogue, resolve, download)
2. ``ingest``    (one reader per publisher's file)
3. ``store``     (connections, the table contract, the atomic write)
4. ``context``   (what a build stage receives)
5. ``areas``     (LSOA/ward geography and indicators; point-in-LSOA)
6. ``index``, ``access``, ``crime``   (the stages built on the areas)
7. ``snapshot``  (one-page locality snapshots)
8. ``views``     (Streamlit UI modules)
9. ``pipeline``, ``cli``, ``serve``, ``nginx``, ``replicas`` and ``app.py``
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from needsmap.store import schema

SRC = Path(__file__).resolve().parent.parent / "src" / "needsmap"

LAYERS: dict[str, int] = {
    "__init__": 0, "settings": 0, "sql": 0, "crs": 0, "stats": 0, "escape": 0, "exports": 0,
    "scope": 0, "_threads": 0, "argtypes": 0,
    "sources": 1, "ingest": 2, "store": 3, "context": 4, "areas": 5,
    "index": 6, "access": 6, "crime": 6, "snapshot": 7, "views": 8,
    "pipeline": 9, "cli": 9, "serve": 9, "nginx": 9, "replicas": 9,
}


def _unit(module: str) -> str:
    """The top-level unit of ``needsmap.<unit>...``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> list[tuple[str, str, str, int]]:
    """``(importer unit, imported unit, file, line)`` for every needsmap import in src/."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent)
        mod = ".".join(rel.with_suffix("").parts)
        if mod.endswith(".__init__"):
            mod = mod[: -len(".__init__")]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "needsmap":  # from needsmap import x: x is the unit,
                    names = [f"needsmap.{a.name}" if a.name in LAYERS else "needsmap"
                             for a in node.names]  # or a name defined in needsmap/__init__
            for n in names:
                if n == "needsmap" or n.startswith("needsmap."):
                    out.append((_unit(mod), _unit(n), str(rel), node.lineno))
    return out


def test_every_module_has_a_layer():
    units = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert units - set(LAYERS) == set(), "add the new module to LAYERS (and the docstring)"


def test_no_package_imports_a_layer_above_it():
    bad = [f"{f}:{line}: {a} (layer {LAYERS[a]}) imports {b} (layer {LAYERS[b]})"
           for a, b, f, line in _imports() if LAYERS[b] > LAYERS[a]]
    assert not bad, "\n".join(bad)


def test_ingest_and_store_import_no_stage():
    for low in ("ingest", "store"):
        hits = [f"{f}:{line} imports needsmap.{b}" for a, b, f, line in _imports()
                if a == low and b in ("access", "index", "crime", "views", "snapshot", "areas",
                                      "pipeline")]
        assert not hits, "\n".join(hits)


def test_ingest_and_store_do_not_name_a_stage_package():
    """Issue 13's check: its grep for the four stage packages' module paths over ingest/
    and store/ prints nothing (in code or in text)."""
    pat = re.compile(r"needsmap.access|needsmap.index|needsmap.crime|needsmap.views")
    hits = [f"{f.relative_to(SRC)}:{i}: {line.strip()}"
            for pkg in ("ingest", "store") for f in sorted((SRC / pkg).rglob("*"))
            if f.is_file() and f.suffix in {".py", ".sql", ".toml", ".md"}
            for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            if pat.search(line)]
    assert not hits, "\n".join(hits)


def test_no_import_cycle_between_packages():
    edges: dict[str, set[str]] = {}
    for a, b, _f, _line in _imports():
        if a != b:
            edges.setdefault(a, set()).add(b)
    seen: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in edges.get(node, ()):
            if seen.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in seen:
                visit(nxt, [*path, node])
        seen[node] = 2

    for n in list(edges):
        if n not in seen:
            visit(n, [])


def test_every_contract_column_has_a_meaning():
    for t in schema.TABLES.values():
        for c in t.columns:
            assert t.meaning(c)


def _check_contract(db) -> list[str]:  # noqa: ANN001
    from needsmap.store.db import open_store

    con = open_store(db)
    try:
        return schema.check_store(con)
    finally:
        con.close()


def test_blackpool_store_matches_the_contract_exactly(blackpool_store):
    assert _check_contract(blackpool_store) == []


@pytest.mark.england
def test_england_store_matches_the_contract_exactly(england_store):
    assert _check_contract(england_store) == []
