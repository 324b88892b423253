"""Checkpoints that know what they were trained on, and refuse to load into something else.

A checkpoint is a torch file holding only plain data (tensors, numbers, strings, lists, dicts) so it loads with
``weights_only=True`` — a checkpoint file from elsewhere cannot execute code. It carries a format version, the
agent kind, the network/trainer config, the feature layout and its hash, and the trainer's progress (step
counter, optimizer state, RNG state) so training resumes where it stopped. Writes go to a temporary file that
is renamed into place: an interrupted save never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from betfolio import __version__

#: Bumped whenever the stored structure changes incompatibly.
CHECKPOINT_FORMAT = 1


class CheckpointError(Exception):
    """A checkpoint is missing, corrupt, or was made for another agent, feature set or format."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"checkpoint {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


def save_checkpoint(path: Path, *, kind: str, feature_hash: str, payload: dict[str, Any]) -> Path:
    """Atomically write ``payload`` (plain data only) with the identifying header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": CHECKPOINT_FORMAT,
        "betfolio_version": __version__,
        "kind": kind,
        "feature_hash": feature_hash,
        **payload,
    }
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(document, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: Path, *, kind: str, feature_hash: str | None = None) -> dict[str, Any]:
    """Load and validate; every failure is a :class:`CheckpointError` saying what is wrong with which file."""
    if not path.exists():
        raise CheckpointError(path, "no such file")
    try:
        document = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CheckpointError(path, f"corrupt or not a Betfolio checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(document, dict) or "format" not in document:
        raise CheckpointError(path, "not a Betfolio checkpoint (no format header)")
    if document["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(
            path,
            f"format {document['format']} (made by betfolio {document.get('betfolio_version', '?')}); "
            f"this version reads format {CHECKPOINT_FORMAT} — retrain the agent",
        )
    if document.get("kind") != kind:
        raise CheckpointError(path, f"holds a {document.get('kind')!r} agent, expected {kind!r}")
    if feature_hash is not None and document.get("feature_hash") != feature_hash:
        raise CheckpointError(
            path,
            f"trained on feature set {document.get('feature_hash')}, the environment provides {feature_hash} "
            "(features were added, removed or reordered) — retrain or use the matching feature set",
        )
    return document
