"""Packaging: the core works without the optional extras, one version, `python -m betfolio`, `--version`.

The extras are proven optional by importing the core layers — and running `betfolio backtest` on a CSV
folder — in a child interpreter whose import system refuses every module an extra brings (a meta-path
finder raising ModuleNotFoundError, as a missing install would).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from typer.testing import CliRunner

import betfolio
from betfolio.cli import app
from betfolio.data import bundled_sample

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

#: Top-level modules that only the extras install (rl, app, live, postgres, ray, bench).
EXTRA_MODULES = (
    "torch",
    "gymnasium",
    "stable_baselines3",
    "sb3_contrib",
    "PySide6",
    "shiboken6",
    "pyqtgraph",
    "redis",
    "fastapi",
    "uvicorn",
    "prometheus_client",
    "psycopg",
    "ray",
    "penaltyblog",
)

BLOCKER = f"""
import importlib.abc, sys
BLOCKED = set({list(EXTRA_MODULES)!r})
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (an optional extra)", name=name)
        return None
sys.meta_path.insert(0, Blocked())
for name in list(sys.modules):
    if name.split(".")[0] in BLOCKED:
        del sys.modules[name]
"""

CORE_PACKAGES = (
    "betfolio.canonical",
    "betfolio.data",
    "betfolio.store",
    "betfolio.markets",
    "betfolio.models",
    "betfolio.risk",
    "betfolio.backtest",
    "betfolio.jobs.backtest",
    "betfolio.cli",
    "betfolio.config",
    "betfolio.logs",
    "betfolio.api",
)


def _run(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "HOME": str(cwd or ROOT)}
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + code, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


def test_blocker_really_blocks() -> None:
    result = _run("import torch")
    assert result.returncode != 0 and "an optional extra" in result.stderr


def test_core_layers_import_without_the_extras() -> None:
    code = """
import importlib, pkgutil
for root in sys.argv[1:]:
    module = importlib.import_module(root)
    names = [root]
    if hasattr(module, "__path__"):
        names += [m.name for m in pkgutil.walk_packages(module.__path__, root + ".")]
    for name in names:
        if name.endswith("__main__") or ".migrations." in name:
            continue  # __main__ runs the command; Alembic's env.py only runs inside Alembic
        importlib.import_module(name)
loaded = sorted({m.split(".")[0] for m in sys.modules} & BLOCKED)
assert not loaded, loaded
print("ok")
"""
    result = _run(code, *CORE_PACKAGES)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_backtest_on_a_csv_folder_without_the_extras(tmp_path: Path) -> None:
    code = "from betfolio.cli import main; sys.argv[0] = 'betfolio'; main()"
    with bundled_sample() as sample:
        args = ["backtest", "--data-dir", str(sample), "--leagues", "E0", "--seasons", "2022-23"]
        args += ["--strategy", "favourite,no_bet", "--models", "", "--json"]
        result = _run(code, *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["data"]["matches"] == 380 and summary["strategies"]["favourite"]["bets"] > 300


def test_one_version_source_and_entry_points() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert (SRC / "betfolio" / "py.typed").exists()
    assert CliRunner().invoke(app, ["--version"]).output.strip() == f"betfolio {betfolio.__version__}"
    module = subprocess.run(
        [sys.executable, "-m", "betfolio", "--version"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert module.returncode == 0 and module.stdout.strip() == f"betfolio {betfolio.__version__}"


def test_every_import_is_declared() -> None:
    """Each third-party module imported under src/ belongs to a declared distribution (core or an extra)."""
    import ast
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra, reqs in project["optional-dependencies"].items():
        if extra != "test":
            declared |= {_name(r) for r in reqs if not r.startswith("betfolio")}
    owners = packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    missing: dict[str, str] = {}
    for path in (SRC / "betfolio").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in stdlib or top == "betfolio":
                    continue
                dists = {_name(d) for d in owners.get(top, [])}
                if not dists & declared:
                    missing[top] = str(path.relative_to(ROOT))
    assert not missing, missing


def _name(requirement: str) -> str:
    import re

    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
