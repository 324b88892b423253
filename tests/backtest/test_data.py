"""Loading for the backtest: as-of decision odds, and bad input reported rather than guessed around."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from betfolio.backtest.data import BacktestData, load_from_directory, load_from_engine, parse_seasons
from betfolio.store.engine import make_engine
from betfolio.store.tables import daily_betting_lines as dbl
from betfolio.store.tables import matches_master as mm
from tests.backtest.synthetic import write_season


def test_decision_odds_are_prematch_and_closing_kept_apart(synthetic_data: BacktestData) -> None:
    for m in synthetic_data.matches:
        assert m.decision_at is not None and m.decision_at <= m.kickoff - timedelta(hours=1)
        assert ("1x2", None) in m.prematch and ("1x2", None) in m.closing
        assert m.prematch[("1x2", None)].bookmakers == ("bet365", "bwin", "market_avg", "pinnacle")
        assert m.closing[("1x2", None)].bookmakers == ("pinnacle",)
    assert synthetic_data.issues == []


def test_asian_handicap_sides_share_one_home_line(synthetic_data: BacktestData) -> None:
    m = synthetic_data.matches[0]
    (key,) = [k for k in m.prematch if k[0] == "asian_handicap"]
    table = m.prematch[key]
    assert table.line == -0.25
    assert table.selection_line("home") == -0.25 and table.selection_line("away") == 0.25


def test_a_later_quote_after_the_decision_is_not_seen(tmp_path: Path) -> None:
    """A price stamped after the decision moment (here: a later pre-match update) must not be used."""
    folder = tmp_path / "fd"
    write_season(folder, "2021-22")
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    data, _ = load_from_directory(folder, ["E0"], ["2021-22"], engine=engine)
    m = data.matches[0]
    late = m.kickoff - timedelta(minutes=10)  # inside the 1-hour lead: after any decision
    with engine.begin() as conn:
        conn.execute(
            insert(dbl).values(
                match_id=m.match_id,
                provider="test",
                bookmaker="bet365",
                market="1x2",
                selection="home",
                line=None,
                odds=50.0,
                quoted_at=late,
                ingested_at=datetime.now(UTC),
                is_closing=False,
                in_play=False,
            )
        )
    again = load_from_engine(engine, ["E0"], ["2021-22"])
    m2 = next(x for x in again.matches if x.match_id == m.match_id)
    assert m2.decision_at == m.decision_at
    assert 50.0 not in m2.prematch[("1x2", None)].odds


def test_bad_input_is_reported_and_handled(tmp_path: Path) -> None:
    folder = tmp_path / "fd"
    write_season(folder, "2021-22", seed=3, closing=False, blank_results_after=datetime(2021, 11, 1).date())
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    data, _ = load_from_directory(folder, ["E0", "D1"], ["2021-22"], engine=engine)
    kinds = data.issue_counts()
    assert kinds["missing_file"] == 1  # D1 does not exist
    assert kinds["no_closing_odds"] == 1  # a season without closing columns
    assert kinds["missing_result"] >= 1
    assert any("no closing 1X2 prices in this season" in str(i) for i in data.issues)

    first = data.matches[0]
    with engine.begin() as conn:
        # Odds ≤ 1.0 that slipped into the store from elsewhere are ignored with a report.
        conn.execute(update(dbl).where(dbl.c.match_id == first.match_id, dbl.c.bookmaker == "bwin").values(odds=1.0))
        # The same fixture listed twice (a second date): one is kept, the other reported.
        row = conn.execute(select(mm).where(mm.c.match_id == first.match_id)).mappings().one()
        dup = {k: v for k, v in row.items() if k != "match_id"}
        dup["match_date"] = row["match_date"] + timedelta(days=30)
        dup["kickoff_utc"] = row["kickoff_utc"] + timedelta(days=30)
        dup["home_goals"] = dup["away_goals"] = None
        dup["status"] = "postponed"
        conn.execute(insert(mm).values(**dup))
    again = load_from_engine(engine, ["E0"], ["2021-22"])
    kinds = again.issue_counts()
    assert kinds["invalid_odds"] == 1 and kinds["duplicate_match"] == 1
    fixtures = [(m.home, m.away) for m in again.matches]
    assert len(fixtures) == len(set(fixtures)) == len(data.matches)
    kept = next(m for m in again.matches if (m.home, m.away) == (first.home, first.away))
    assert kept.match_id == first.match_id  # the played listing is kept
    assert "bwin" not in kept.prematch[("1x2", None)].bookmakers


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2019-20:2021-22", ["2019-20", "2020-21", "2021-22"]),
        ("2022-23", ["2022-23"]),
        ("1999-00:2000-01", ["1999-00", "2000-01"]),
        ("2019-20, 2021-22", ["2019-20", "2021-22"]),
    ],
)
def test_parse_seasons(spec: str, expected: list[str]) -> None:
    assert parse_seasons(spec) == expected


@pytest.mark.parametrize("spec", ["2019:2020", "2019-21", "2022-23:2019-20", ""])
def test_parse_seasons_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_seasons(spec)
