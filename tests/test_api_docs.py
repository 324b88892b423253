"""docs/api.md's examples run, in order, in one namespace: the page cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_page_has_examples_for_every_part() -> None:
    text = "\n".join(_blocks())
    for name in ("load_matches", "load_odds", "backtest", "fit_model", "predict", "train_agents", "evaluate_agents"):
        assert f"api.{name}(" in text


@pytest.mark.slow
def test_api_docs_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETFOLIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BETFOLIO_CONFIG_DIR", str(tmp_path / "config"))
    namespace: dict[str, object] = {}
    for i, block in enumerate(_blocks()):
        exec(compile(block, f"{DOC}:block{i + 1}", "exec"), namespace)
