"""Learning curves of a training run, as one picture and as one line per worker.

A table of held-out results says whether the agents earned money; the curves say whether they learnt anything at
all (a flat return, a KL stuck near zero, an explained variance of ~0 mean the update did nothing). Each worker's
log has its own step column and return column; :data:`CURVE_AXES` names them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Per training log (by tag prefix): its x column and the panels drawn (y columns).
CURVE_AXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "live": ("global_step", ("episode_return_mean", "approx_kl", "clip_fraction", "explained_variance")),
    "prematch-q": ("episode", ("return",)),
    "prematch-dqn": ("timesteps", ("episode_return_mean",)),
}


def axes_for(tag: str) -> tuple[str, tuple[str, ...]] | None:
    """The axes of a log tag (``live-log-wealth`` is a live log, ``prematch-q-log-wealth`` a tabular one)."""
    for prefix in sorted(CURVE_AXES, key=len, reverse=True):
        if tag == prefix or tag.startswith(prefix + "-"):
            return CURVE_AXES[prefix]
    return None


def _series(rows: Sequence[Mapping[str, Any]], x: str, y: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for row in rows:
        a, b = row.get(x), row.get(y)
        if isinstance(a, int | float) and isinstance(b, int | float) and math.isfinite(b):
            xs.append(float(a))
            ys.append(float(b))
    return xs, ys


def curve_lines(curves: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """One plain line per log: its return at the start, the middle and the end of training."""
    lines = []
    for tag, rows in curves.items():
        axes = axes_for(tag)
        if axes is None or not rows:
            continue
        x, panels = axes
        xs, ys = _series(rows, x, panels[0])
        if not ys:
            continue
        mid = len(ys) // 2
        lines.append(
            f"{tag}: {panels[0]} {ys[0]:+.3f} → {ys[mid]:+.3f} → {ys[-1]:+.3f} over {xs[-1]:,.0f} {x.replace('_', ' ')}"
        )
    return lines


def plot_curves(curves: Mapping[str, Sequence[Mapping[str, Any]]], path: Path, title: str = "") -> Path | None:
    """One PNG with a row of panels per log (matplotlib, no display needed); None when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawable = [(tag, axes_for(tag), rows) for tag, rows in curves.items() if axes_for(tag) and rows]
    if not drawable:
        return None
    width = max(len(axes[1]) for _, axes, _ in drawable if axes)
    fig, grid = plt.subplots(len(drawable), width, figsize=(3.0 * width, 2.3 * len(drawable)), squeeze=False)
    for row, (tag, axes, rows) in enumerate(drawable):
        assert axes is not None
        x, panels = axes
        for col in range(width):
            ax = grid[row][col]
            if col >= len(panels):
                ax.axis("off")
                continue
            xs, ys = _series(rows, x, panels[col])
            ax.plot(xs, ys, marker="." if len(xs) < 30 else None)
            ax.set_title(f"{tag}: {panels[col]}", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_xlabel(x.replace("_", " "), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
