"""The Python API for notebooks and scripts: one import, tables as pandas DataFrames.

    from betfolio import api
    matches = api.load_matches(["E0"], ["2022-23"], data_dir="football-data")
    results = api.backtest(["E0"], ["2022-23"], data_dir="football-data")
    results.table                      # one row per strategy: bets, ROI with its interval, CLV, drawdown…

Every function reads the store: ``db`` is a database URL or SQLite path (default: the configured database, see
:mod:`betfolio.config`); ``data_dir`` — one football-data folder (``<season>/<Div>.csv``) or several — is
ingested first (into ``db`` if given, else a temporary SQLite), through the same ingest path as the command line.
The functions call the same jobs as `betfolio backtest` and `betfolio train`, so the numbers are the same.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine

if TYPE_CHECKING:
    from betfolio.models import GoalModel

PathLike = str | Path
Folders = PathLike | Sequence[PathLike] | None

__all__ = [
    "AgentResults",
    "BacktestResults",
    "backtest",
    "evaluate_agents",
    "fit_model",
    "load_matches",
    "load_odds",
    "open_store",
    "predict",
    "train_agents",
]


def _folders(data_dir: Folders) -> list[Path]:
    if data_dir is None:
        return []
    if isinstance(data_dir, str | Path):
        return [Path(data_dir)]
    return [Path(d) for d in data_dir]


def _list(values: str | Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        from betfolio.backtest.data import parse_seasons

        parts = [v.strip() for v in values.split(",") if v.strip()]
        # '2019-20:2022-23' is a season range; 'E0,D1' a list of leagues.
        return parse_seasons(values) if ":" in values or (parts and "-" in parts[0]) else parts
    return list(values)


def open_store(
    db: str | None = None,
    data_dir: Folders = None,
    leagues: str | Sequence[str] | None = None,
    seasons: str | Sequence[str] | None = None,
) -> Engine:
    """The database engine, after ingesting ``data_dir`` (those leagues and seasons, with earlier seasons as
    history) when given. Without ``db``, a folder goes into a temporary SQLite; without either, the configured
    database is opened."""
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import prepare_for_reading

    folders = _folders(data_dir)
    engine = make_engine(db) if (db or not folders) else None
    if folders:
        from betfolio.backtest.data import ingest_directory

        league_list, season_list = _list(leagues), _list(seasons)
        if not league_list or not season_list:
            raise ValueError("leagues and seasons are required to read a data folder")
        engine, issues = ingest_directory(folders, league_list, season_list, engine=engine)
        errors = [i for i in issues if i.kind == "ingest_error"]
        if errors:
            raise ValueError("; ".join(str(e) for e in errors))
        return engine
    assert engine is not None
    prepare_for_reading(engine)  # writable: migrated; read-only: read as it is
    return engine


def load_matches(
    leagues: str | Sequence[str] | None = None,
    seasons: str | Sequence[str] | None = None,
    *,
    db: str | None = None,
    data_dir: Folders = None,
) -> pd.DataFrame:
    """One row per match: match_id, league, season, match_date, kickoff_utc, home_team, away_team, status,
    home_goals, away_goals (missing results stay missing, never 0)."""
    from betfolio.store.queries import matches_query

    engine = open_store(db, data_dir, leagues, seasons)
    columns = [
        "match_id",
        "league",
        "season",
        "match_date",
        "kickoff_utc",
        "home_team",
        "away_team",
        "status",
        "home_goals",
        "away_goals",
    ]
    with engine.connect() as conn:
        rows = conn.execute(matches_query(leagues=_list(leagues), seasons=_list(seasons))).mappings().all()
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    frame["kickoff_utc"] = pd.to_datetime(frame["kickoff_utc"], utc=True)
    for column in ("home_goals", "away_goals"):
        frame[column] = frame[column].astype("Int64")
    return frame


def load_odds(
    leagues: str | Sequence[str] | None = None,
    seasons: str | Sequence[str] | None = None,
    *,
    db: str | None = None,
    data_dir: Folders = None,
    markets: Sequence[str] | None = None,
    closing: bool | None = None,
) -> pd.DataFrame:
    """One row per stored quote: match_id, league, season, bookmaker, market, selection, line, odds, quoted_at
    (the provider's timestamp), is_closing, in_play. ``closing=False`` keeps only the prices a decision could
    have used; closing prices are for evaluation (CLV)."""
    from betfolio.store.queries import quotes_query

    engine = open_store(db, data_dir, leagues, seasons)
    stmt = quotes_query(leagues=_list(leagues), seasons=_list(seasons), markets=markets, closing=closing)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in stmt.selected_columns])
    frame["quoted_at"] = pd.to_datetime(frame["quoted_at"], utc=True)
    return frame


@dataclass
class BacktestResults:
    """A walk-forward backtest: ``table`` (one row per strategy), ``bets``, ``equity``; ``summary`` as in the
    JSON report (intervals, model scores, what could not be evaluated)."""

    summary: dict[str, Any]
    table: pd.DataFrame
    bets: pd.DataFrame
    equity: pd.DataFrame
    run_id: int | None = None
    report_path: Path | None = None

    @property
    def not_evaluated(self) -> list[str]:
        return list(self.summary.get("not_evaluated", []))


def backtest(
    leagues: str | Sequence[str],
    seasons: str | Sequence[str],
    strategies: Sequence[Any] | None = None,
    *,
    db: str | None = None,
    data_dir: Folders = None,
    bankroll: float = 1000.0,
    models: Sequence[str] = ("dixon_coles",),
    refit_days: float = 7.0,
    seed: int = 0,
    report_dir: PathLike | None = None,
    record: bool = False,
    workers: int = 1,
) -> BacktestResults:
    """Walk-forward backtest (the one backtest job). ``strategies``: specs such as ``"model_value:kelly=0.1"``
    or strategy objects; default the four baselines. ``models``: goal models scored against the market
    (``()`` skips scoring; strategies that need a model still get one)."""
    from datetime import timedelta

    from betfolio.backtest.engine import BacktestConfig
    from betfolio.jobs.backtest import DEFAULT_STRATEGIES, load_data, run_backtest
    from betfolio.store.engine import make_engine

    league_list, season_list = _list(leagues), _list(seasons)
    folders = _folders(data_dir)
    engine = make_engine(db) if (db or not folders) else None
    data, used = load_data(engine, league_list, season_list, data_dir=folders or None)
    if not data.matches:
        raise ValueError(f"no matches for leagues {league_list} in seasons {season_list}")
    config = BacktestConfig(
        initial_bankroll=bankroll, refit_every=timedelta(days=refit_days), evaluate_models=tuple(models)
    )
    outcome = run_backtest(
        data,
        list(strategies or DEFAULT_STRATEGIES),
        config,
        engine=used,
        workers=workers,
        seed=seed,
        report_dir=Path(report_dir) if report_dir is not None else None,
        record=record and engine is not None,
        run_config={"source": ", ".join(map(str, folders)) if folders else "database", "started_from": "api"},
    )
    summary = outcome.summary or {}
    table = pd.DataFrame(
        [
            {"strategy": name, **{k: v for k, v in metrics.items() if not isinstance(v, dict | list)}}
            for name, metrics in summary.get("strategies", {}).items()
        ]
    ).set_index("strategy")
    bets = pd.DataFrame([_bet_row(b) for run in outcome.result.strategies.values() for b in run.bets])
    equity = pd.DataFrame(
        [
            {"strategy": name, "time": t, "equity": e}
            for name, run in outcome.result.strategies.items()
            for t, e in run.equity
        ],
        columns=["strategy", "time", "equity"],
    )
    return BacktestResults(summary, table, bets, equity, outcome.run_id, outcome.report_path)


def _bet_row(bet: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: v for k, v in asdict(bet).items() if not isinstance(v, dict | list)}


def fit_model(
    matches: pd.DataFrame,
    *,
    model: str = "dixon_coles",
    as_of: datetime | str | None = None,
    **options: Any,
) -> GoalModel:
    """Fit a goal model on the finished matches of ``matches`` (as from :func:`load_matches`) kicked off before
    ``as_of`` (default: after the last one). ``model``: ``dixon_coles`` or ``poisson``; ``options`` go to the
    model (e.g. ``xi`` for the time decay, ``unknown_team="average"``)."""
    from betfolio.models import DixonColes, PoissonModel

    kinds = {"dixon_coles": DixonColes, "poisson": PoissonModel}
    if model not in kinds:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(kinds)}")
    played = matches.dropna(subset=["home_goals", "away_goals"])
    if played.empty:
        raise ValueError("no finished matches to fit on")
    kickoffs = pd.to_datetime(played["kickoff_utc"], utc=True)
    cutoff = pd.Timestamp(as_of, tz="UTC") if as_of is not None else kickoffs.max() + pd.Timedelta(days=1)
    if cutoff.tzinfo is None:
        cutoff = cutoff.tz_localize("UTC")
    fitted = kinds[model](**options)
    return fitted.fit(
        played["home_team"].to_numpy(),
        played["away_team"].to_numpy(),
        played["home_goals"].astype(float).to_numpy(),
        played["away_goals"].astype(float).to_numpy(),
        kickoffs.dt.tz_convert(None).to_numpy(),
        cutoff.tz_convert(None).to_datetime64(),
    )


def predict(model: GoalModel, fixtures: pd.DataFrame | Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Probabilities of home win, draw and away win and the expected goals, one row per fixture
    (``fixtures``: a DataFrame with home_team/away_team columns, or (home, away) pairs)."""
    if isinstance(fixtures, pd.DataFrame):
        pairs = list(zip(fixtures["home_team"], fixtures["away_team"], strict=True))
    else:
        pairs = [(str(h), str(a)) for h, a in fixtures]
    rows = []
    for home, away in pairs:
        grid = model.predict(home, away)
        p_home, p_draw, p_away = grid.match_odds()
        xg_home, xg_away = grid.expected_goals
        rows.append(
            {
                "home_team": home,
                "away_team": away,
                "p_home": p_home,
                "p_draw": p_draw,
                "p_away": p_away,
                "xg_home": xg_home,
                "xg_away": xg_away,
            }
        )
    return pd.DataFrame(rows, columns=["home_team", "away_team", "p_home", "p_draw", "p_away", "xg_home", "xg_away"])


@dataclass
class AgentResults:
    """Agents trained on past seasons and judged on later unseen ones, beside the baselines: ``table`` has one
    row per agent or baseline; ``verdict`` says plainly whether anything beat the baselines."""

    summary: dict[str, Any]
    table: pd.DataFrame
    verdict: list[str] = field(default_factory=list)
    run_dir: Path | None = None


def train_agents(
    *,
    db: str | None = None,
    leagues: str | Sequence[str] | None = None,
    train_seasons: str | Sequence[str] | None = None,
    eval_seasons: str | Sequence[str] | None = None,
    run: str | None = None,
    live_steps: int | None = None,
    envs: int | None = None,
    q_episodes: int | None = None,
    dqn_steps: int | None = None,
    ablation: bool = True,
    seed: int = 1,
    resume: bool = False,
    verbose: bool = False,
) -> AgentResults:
    """Train the pre-match and live workers and the manager (needs the ``rl`` extra), then evaluate them on the
    evaluation seasons against the baselines — what `betfolio train --agent hrl` does, with the same budgets
    unless given. Checkpoints and logs go to the run folder (``run``: a name under <data dir>/agents, or a path)."""
    from rich.console import Console

    from betfolio.agents.training import RunDir
    from betfolio.jobs.training import HRLSettings, preset_settings, run_hrl
    from betfolio.store.engine import make_engine

    settings = HRLSettings(
        leagues=_list(leagues),
        train_seasons=_list(train_seasons),
        eval_seasons=_list(eval_seasons),
        **preset_settings(None, live_steps=live_steps, n_envs=envs, q_episodes=q_episodes, dqn_steps=dqn_steps),
        seed=seed,
        ablation=ablation,
        resume=resume,
    )
    run_dir = RunDir.named(run or f"hrl-api-seed{seed}")
    console = Console(stderr=True) if verbose else Console(file=io.StringIO())
    summary = run_hrl(make_engine(db), settings, run_dir, console)
    return _agent_results(summary)


def evaluate_agents(run: str, **kwargs: Any) -> AgentResults:
    """Evaluate the agents of an earlier run again from their checkpoints (no further training): the same
    settings as :func:`train_agents`, resumed."""
    return train_agents(run=run, resume=True, **kwargs)


def _agent_results(summary: dict[str, Any]) -> AgentResults:
    rows = [
        {"strategy": name, **{k: v for k, v in metrics.items() if not isinstance(v, dict | list)}}
        for name, metrics in summary.get("strategies", {}).items()
    ]
    table = pd.DataFrame(rows).set_index("strategy") if rows else pd.DataFrame()
    run_dir = Path(summary["run_dir"]) if summary.get("run_dir") else None
    return AgentResults(summary, table, list(summary.get("verdict", [])), run_dir)
