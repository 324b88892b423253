"""Data flows one way: the engine and what it builds on import nothing from the layers above them.

Read from the source (every import statement, also the ones inside functions), so a lazy import cannot hide a
dependency that a plain ``grep`` of the module head would miss. Imports for type annotations only
(``if TYPE_CHECKING:``) are not dependencies at run time and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import betfolio

ROOT = Path(betfolio.__file__).parent


def _imports(package: str) -> list[tuple[str, int, str]]:
    """(file, line, imported module) for every import in ``betfolio.<package>``."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for stmt in block.body
            for n in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                found.extend((str(path.relative_to(ROOT)), node.lineno, a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.lineno, node.module))
    return found


BELOW_THE_ENGINE = (
    "store",
    "backtest",
    "sim",
    "agents",
    "models",
    "markets",
    "risk",
    "canonical",
    "engine",
    "features",
)


@pytest.mark.parametrize("package", BELOW_THE_ENGINE)
def test_nothing_below_the_engine_imports_a_provider(package: str) -> None:
    bad = [f"{f}:{n} {m}" for f, n, m in _imports(package) if m.startswith("betfolio.providers")]
    assert not bad, bad


@pytest.mark.parametrize("package", ("engine", "features", "markets", "models", "risk", "canonical", "store"))
def test_the_engine_and_its_foundations_import_nothing_from_the_layers_above(package: str) -> None:
    above = ("betfolio.backtest", "betfolio.sim", "betfolio.agents", "betfolio.jobs", "betfolio.cli", "betfolio.app")
    bad = [f"{f}:{n} {m}" for f, n, m in _imports(package) if m.startswith(above)]
    assert not bad, bad


def test_only_the_app_imports_qt() -> None:
    packages = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    bad = [
        f"{f}:{n} {m}"
        for package in packages
        if package != "app"  # `bench app` asks betfolio.app.measure to time the Qt event loop
        for f, n, m in _imports(package)
        if m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6")
    ]
    assert not bad, bad
