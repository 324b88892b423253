"""Gathering seeds: means, the spread beside each seed's interval, and a verdict that counts seeds."""

from __future__ import annotations

from typing import Any

from betfolio.agents.seeds import gather_seeds, mean_row, spread


def row(roi: float | None, lo: float | None, hi: float | None, equity: float, **extra: Any) -> dict[str, Any]:
    return {"bets": 0 if roi is None else 100, "roi": roi, "roi_ci_low": lo, "roi_ci_high": hi, "clv_mean": None,
            "max_drawdown": 0.1, "sharpe": None, "log_growth": 0.0, "final_equity": equity} | extra  # fmt: skip


def seed(n: int, live_roi: float, clv: float) -> dict[str, Any]:
    return {
        "seed": n,
        "train_seasons": ["2020-21"],
        "eval_seasons": ["2021-22"],
        "leagues": ["E0"],
        "settings": {"seed": n, "live_steps": 10},
        "strategies": {
            "no_bet": row(None, None, None, 1000.0),
            "favourite": row(-0.03, -0.08, 0.02, 970.0),
            "live": row(live_roi, live_roi - 0.02, live_roi + 0.02, 1000 * (1 + live_roi)),
            "live_untrained": row(-0.05, -0.09, -0.01, 950.0),
            "live_random": row(-0.06, -0.1, -0.02, 940.0),
            "prematch": row(0.0, -0.1, 0.1, 1000.0, clv_mean=clv, clv_ci_low=clv - 0.01),
            "hrl": row(0.01, -0.05, 0.07, 1010.0, max_drawdown=0.25 if n == 3 else 0.1),
        },
        "verdict": [],
    }


def test_mean_row_skips_undefined_values() -> None:
    out = mean_row([{"roi": 0.1, "bets": 2}, {"roi": None, "bets": 0}, {"roi": 0.3, "bets": 4}])
    assert out == {"roi": 0.2, "bets": 2.0, "seeds": 3}
    assert mean_row([{"roi": None}])["roi"] is None


def test_spread() -> None:
    assert spread([1.0, 3.0, None]) == {"n": 2, "mean": 2.0, "std": 2**0.5, "min": 1.0, "max": 3.0}
    assert spread([None])["n"] == 0


def test_gather_counts_seeds() -> None:
    out = gather_seeds([seed(3, 0.05, -0.002), seed(1, 0.08, 0.02), seed(2, -0.10, 0.005)])
    assert out["seeds"] == [1, 2, 3]
    assert out["settings"] == {"live_steps": 10}
    assert abs(out["strategies"]["live"]["roi"] - 0.01) < 1e-12
    assert out["strategies"]["no_bet"]["roi"] is None
    per_seed = out["spread"]["live"]["per_seed"]
    assert [p["seed"] for p in per_seed] == [1, 2, 3]
    assert per_seed[0]["roi_ci_low"] == 0.08 - 0.02
    counts = out["comparisons"]
    assert counts["live >= live_untrained (final equity)"] == {"seeds": 2, "of": 3}
    assert counts["live > live_random beyond noise"] == {"seeds": 2, "of": 3}  # 0.03 > -0.02 and 0.06 > -0.02
    assert counts["live > favourite beyond noise"] == {"seeds": 2, "of": 3}
    assert counts["prematch clv_mean > 0"] == {"seeds": 2, "of": 3}
    assert counts["prematch clv interval above 0"] == {"seeds": 1, "of": 3}
    assert counts["hrl max_drawdown <= 20%"] == {"seeds": 2, "of": 3}
    assert counts["prematch >= prematch_untrained (final equity)"] == {"seeds": 0, "of": 0}  # no such rows
    text = "\n".join(out["verdict"])
    assert "ends at or above its untrained network in 2 of 3 seeds" in text
    assert "max drawdown within 20% in 2 of 3 seeds" in text
    assert out["verdict"][-1].startswith("Overall: an edge shown on the unseen seasons by live (beats favourite")


def test_gather_counts_deployments_and_reports_an_abstaining_workers_trained_clv() -> None:
    def gated(n: int, live: str, prematch: str) -> dict[str, Any]:
        out = seed(n, 0.01, 0.0)
        out["strategies"]["prematch"] = row(None, None, None, 1000.0)  # abstained: no bets, no CLV
        out["strategies"]["prematch_ungated"] = row(-0.02, -0.1, 0.06, 900.0, clv_mean=-0.01 * n, clv_ci_low=-0.03)
        out["selection"] = {"workers": {"live": {"deployed": live}, "prematch": {"deployed": prematch}}}
        return out

    out = gather_seeds([gated(1, "trained", "abstain"), gated(2, "abstain", "abstain")])
    assert out["deployments"] == {"live": {"trained": 1, "of": 2}, "prematch": {"trained": 0, "of": 2}}
    assert out["per_seed"][0]["selection"]["workers"]["live"]["deployed"] == "trained"
    assert out["verdict"][1] == (
        "Deployed after validation on the latest training matches: live its trained policy in 1 of 2 seeds; "
        "prematch its trained policy in 0 of 2 seeds (abstaining otherwise: no edge beyond bootstrap noise there)."
    )
    text = "\n".join(out["verdict"])
    assert "prematch: no bets with a closing line in any seed, so no CLV." in text
    assert "(prematch_ungated): mean CLV -1.50% across seeds" in text
    assert out["comparisons"]["prematch_ungated clv_mean > 0"] == {"seeds": 0, "of": 2}
