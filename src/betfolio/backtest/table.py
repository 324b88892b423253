"""The strategy comparison as a rich table (CLI and demo)."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _pct(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{100 * v:.{digits}f}%"


def strategy_table(summary: dict[str, Any], title: str = "Walk-forward backtest") -> Table:
    table = Table(title=title)
    for col in (
        "strategy",
        "bets",
        "turnover",
        "profit",
        "ROI",
        "ROI 95% CI",
        "CLV",
        "CLV>0",
        "max DD",
        "Sharpe",
        "final",
    ):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for name, r in summary["strategies"].items():
        ci = "—" if r["roi_ci_low"] is None else f"[{_pct(r['roi_ci_low'])}, {_pct(r['roi_ci_high'])}]"
        table.add_row(
            name,
            str(r["bets"]),
            f"{r['turnover']:,.0f}",
            f"{r['profit']:+,.0f}",
            _pct(r["roi"], 2),
            ci,
            _pct(r["clv_mean"], 2),
            _pct(r["clv_share_positive"]),
            _pct(r["max_drawdown"]),
            "—" if r["sharpe"] is None else f"{r['sharpe']:.2f}",
            f"{r['final_equity']:,.0f}",
        )
    return table


def forecast_table(summary: dict[str, Any]) -> Table:
    models = summary["models"]
    table = Table(title=f"1X2 forecasts on {models['identical_matches']} identical matches (lower is better)")
    for col in ("source", "RPS", "log-loss", "Brier"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for m in models["on_identical_matches"]:
        table.add_row(m["source"], f"{m['rps']:.4f}", f"{m['log_loss']:.4f}", f"{m['brier']:.4f}")
    return table


def paired_table(summary: dict[str, Any]) -> Table:
    """Paired score differences (model − benchmark) on identical matches with their 95 % intervals."""
    models = summary["models"]
    table = Table(
        title="Paired differences on identical matches (negative = first source better; 95% CI, days resampled)"
    )
    for col in ("comparison", "RPS diff", "RPS CI", "log-loss diff", "log-loss CI", "verdict"):
        table.add_column(col, justify="left" if col in ("comparison", "verdict") else "right")
    for name, d in models.get("paired", {}).items():
        rps, ll = d["rps"], d["log_loss"]

        def ci(x: dict[str, Any]) -> str:
            return "—" if x["ci_low"] is None else f"[{x['ci_low']:+.4f}, {x['ci_high']:+.4f}]"

        verdict = "no significant difference"
        if rps["significant"]:
            verdict = "better" if rps["mean"] < 0 else "worse"
        table.add_row(name, f"{rps['mean']:+.4f}", ci(rps), f"{ll['mean']:+.4f}", ci(ll), verdict)
    return table
