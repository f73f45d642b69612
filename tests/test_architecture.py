"""The architecture holds: layers and no cycles (import-linter and grimp), small modules, a map that matches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wcitsim"


def test_the_import_contracts_hold():
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout and "KEPT" in done.stdout


def test_no_module_imports_itself_back_through_others():
    """No import cycle between modules, counting imports inside functions (grimp reads every import)."""
    graph = grimp.build_graph("wcitsim", cache_dir=None)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            related = imported.startswith(module + ".") or module.startswith(imported + ".")
            if not related:  # a package's __init__ and its own submodules are not a cycle
                edges.add_edge(module, imported)
    cycles = list(nx.simple_cycles(edges, length_bound=8))
    assert not cycles, f"import cycles, e.g. {' -> '.join(min(cycles, key=len))}"


def test_no_module_is_over_400_lines():
    big = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not big, big


def test_the_architecture_map_names_every_package_and_module():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(
        str(p.parent.relative_to(ROOT))
        for p in PACKAGE.rglob("__init__.py")
        if "scenarios" not in p.parts and p.parent != PACKAGE
    )
    modules = sorted(
        p.stem
        for p in PACKAGE.rglob("*.py")
        if p.stem not in ("__init__", "__main__") and "scenarios" not in p.parts
    )
    missing = [p for p in packages if f"`{p}/`" not in text] + [
        m for m in modules if f"`{m}`" not in text and f"/{m}.py`" not in text
    ]
    assert not missing, f"docs/architecture.md does not name: {missing}"
