"""The side-by-side report of a backtest grid: a terminal table and a self-contained ``grid.html``.

Both state the multiple-testing caveat next to the numbers, because a grid's most dangerous output is its
best row: the maximum of many noisy estimates looks like an edge even when no configuration has one.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from rich.table import Table

COLUMNS = ("cell", "leagues", "seasons", "strategy", "bets", "ROI", "ROI 95% CI", "CLV", "max DD", "Sharpe", "final")


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:+.{digits}f}%"


def _row(r: dict[str, Any]) -> list[str]:
    ci = "—" if r["roi_ci_low"] is None else f"[{_pct(r['roi_ci_low'])}, {_pct(r['roi_ci_high'])}]"
    seasons = r["seasons"][0] if len(r["seasons"]) == 1 else f"{r['seasons'][0]}:{r['seasons'][-1]}"
    return [
        str(r["cell"]),
        ",".join(r["leagues"]),
        seasons,
        r["strategy"],
        str(r["bets"]),
        _pct(r["roi"], 2),
        ci,
        _pct(r["clv_mean"], 2),
        "—" if r["max_drawdown"] is None else f"{100 * r['max_drawdown']:.1f}%",
        "—" if r["sharpe"] is None else f"{r['sharpe']:.2f}",
        "—" if r["final_equity"] is None else f"{r['final_equity']:,.0f}",
    ]


def grid_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"Backtest grid — {summary['configurations']} configurations ({summary['runner']})")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("leagues", "seasons", "strategy") else "right")
    for r in summary["cells"]:
        table.add_row(*_row(r))
    for f in summary["failures"]:
        table.add_row(str(f["cell"]), "", "", f["configuration"], "failed", f["error"], *[""] * (len(COLUMNS) - 6))
    return table


def write_grid_report(summary: dict[str, Any], report_dir: Path) -> Path:
    """``grid.html`` in ``report_dir``: the table, the caveat, links to each cell's own report when written."""
    report_dir.mkdir(parents=True, exist_ok=True)
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = []
    for r in summary["cells"]:
        cells = [escape(v) for v in _row(r)]
        if r.get("report"):
            link = Path(r["report"])
            target = link.relative_to(report_dir) if link.is_relative_to(report_dir) else link
            cells[3] = f'<a href="{escape(str(target))}">{cells[3]}</a>'
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    for f in summary["failures"]:
        body.append(
            f'<tr class="failed"><td>{f["cell"]}</td><td colspan="3">{escape(f["configuration"])}</td>'
            f'<td colspan="{len(COLUMNS) - 4}">failed: {escape(f["error"])}</td></tr>'
        )
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest grid</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:right}}td:nth-child(2),td:nth-child(3),td:nth-child(4)
{{text-align:left}}.caveat{{background:#fff6d5;border-left:4px solid #e0a800;padding:.6em 1em;max-width:60em}}
.failed{{color:#a00}}</style></head><body>
<h1>Backtest grid</h1>
<p>{summary["configurations"]} configurations from {escape(str(summary["grid"] or "the grid"))},
run {escape(summary["runner"])}.</p>
<p class="caveat"><strong>Multiple testing.</strong> {escape(summary["caveat"])}</p>
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""
    path = report_dir / "grid.html"
    path.write_text(html, encoding="utf-8")
    return path
