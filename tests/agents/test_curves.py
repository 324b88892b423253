"""Learning curves of a run: one line per worker log and one picture."""

from __future__ import annotations

from pathlib import Path

from betfolio.agents.curves import axes_for, curve_lines, plot_curves

LIVE_ROW = {"approx_kl": 0.004, "clip_fraction": 0.05, "explained_variance": 0.1}
CURVES = {
    "live": [{"global_step": 1000 * i, "episode_return_mean": -0.1 + 0.01 * i} | LIVE_ROW for i in range(5)],
    "live-log-wealth": [],
    "prematch-q-log-wealth": [{"episode": 1, "return": 0.5}, {"episode": 2, "return": float("nan")}],
    "prematch-dqn": [{"timesteps": 100, "episode_return_mean": 1.0}, {"timesteps": 200, "episode_return_mean": 2.0}],
    "unknown": [{"x": 1}],
}


def test_axes_follow_the_log_tag() -> None:
    assert axes_for("live-log-wealth") == axes_for("live")
    assert axes_for("prematch-q-log-wealth") == axes_for("prematch-q")
    assert axes_for("prematch-dqn") != axes_for("prematch-q")
    assert axes_for("unknown") is None


def test_one_line_per_log_with_something_to_say() -> None:
    lines = curve_lines(CURVES)
    assert lines == [
        "live: episode_return_mean -0.100 → -0.080 → -0.060 over 4,000 global step",
        "prematch-q-log-wealth: return +0.500 → +0.500 → +0.500 over 1 episode",  # the NaN row is skipped
        "prematch-dqn: episode_return_mean +1.000 → +2.000 → +2.000 over 200 timesteps",
    ]


def test_picture(tmp_path: Path) -> None:
    path = plot_curves(CURVES, tmp_path / "curves.png", title="t")
    assert path is not None and path.read_bytes()[:4] == b"\x89PNG"
    assert plot_curves({"unknown": [{"x": 1}]}, tmp_path / "none.png") is None
