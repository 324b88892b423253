"""Checkpoints: round trip, and clear errors for corrupt, foreign or mismatched files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from betfolio.agents.checkpoint import CHECKPOINT_FORMAT, CheckpointError, load_checkpoint, save_checkpoint


def test_round_trip(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "a.pt", kind="live-ppo", feature_hash="abc", payload={"w": torch.ones(2)})
    doc = load_checkpoint(path, kind="live-ppo", feature_hash="abc")
    assert torch.equal(doc["w"], torch.ones(2)) and doc["format"] == CHECKPOINT_FORMAT
    assert not list(tmp_path.glob("*.tmp"))  # atomic write leaves no temporary behind


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.pt", kind="live-ppo")


@pytest.mark.parametrize("content", [b"", b"garbage bytes", b"PK\x03\x04truncated zip"])
def test_corrupt_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path, kind="live-ppo")


def test_truncated_checkpoint(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "a.pt", kind="live-ppo", feature_hash="abc", payload={"w": torch.ones(100)})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path, kind="live-ppo")


def test_foreign_torch_file(tmp_path: Path) -> None:
    path = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="no format header"):
        load_checkpoint(path, kind="live-ppo")


def test_other_kind_feature_set_and_format(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "a.pt", kind="prematch-q", feature_hash="abc", payload={})
    with pytest.raises(CheckpointError, match="holds a 'prematch-q' agent"):
        load_checkpoint(path, kind="live-ppo")
    with pytest.raises(CheckpointError, match="feature set abc"):
        load_checkpoint(path, kind="prematch-q", feature_hash="def")
    doc = torch.load(path, weights_only=True)
    doc["format"] = CHECKPOINT_FORMAT + 1
    torch.save(doc, path)
    with pytest.raises(CheckpointError, match="retrain"):
        load_checkpoint(path, kind="prematch-q")
