from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, insert, select, update

from betfolio.app.coverage_badges import BadgeState
from betfolio.app.matches_model import BADGES_ROLE, COLUMNS, MATCH_ROLE, MatchesModel, MatchFilter
from betfolio.store.tables import coverage, live_states
from betfolio.store.tables import matches_master as mm


def _badges(model: MatchesModel, row: int) -> dict[str, BadgeState]:
    badges = model.data(model.index(row, COLUMNS.index("Coverage")), BADGES_ROLE)
    return {("ST" if b.label.startswith("ST") else b.label): b.state for b in badges}


def test_rows_arrive_a_page_at_a_time_in_kickoff_order(qtbot, sample_engine: Engine) -> None:
    model = MatchesModel(sample_engine, page_size=250)
    assert model.rowCount() == 0 and model.canFetchMore()
    model.set_filter(MatchFilter())  # asks for the first page and the count; neither blocks
    assert model.rowCount() == 0 and not model.canFetchMore()  # the page is on its way
    model.wait()
    assert model.rowCount() == 250
    assert model.total_count() == 3198
    model.fetch_all()
    assert model.rowCount() == 3198 and not model.canFetchMore()
    ids = [model.data(model.index(r, 0), MATCH_ROLE) for r in range(model.rowCount())]
    assert len(set(ids)) == 3198  # keyset paging neither repeats nor skips a row
    kickoffs = [model.row(r).values["kickoff_utc"] for r in range(model.rowCount())]
    assert kickoffs == sorted(kickoffs)


def test_filters_and_search(qtbot, sample_engine: Engine) -> None:
    model = MatchesModel(sample_engine, page_size=100)
    model.set_filter(MatchFilter(leagues=("E0",), seasons=("2021-22",)))
    model.wait()
    assert model.total_count() == 380
    assert {model.row(r).values["league"] for r in range(model.rowCount())} == {"E0"}
    model.set_filter(MatchFilter(text="arsenal", seasons=("2022-23",)))
    model.wait()
    model.fetch_all()
    assert model.rowCount() == model.total_count() == 38
    assert all(
        "Arsenal" in (model.row(r).values["home_team"], model.row(r).values["away_team"])
        for r in range(model.rowCount())
    )
    model.set_filter(MatchFilter(date_from=date(2022, 8, 5), date_to=date(2022, 8, 7), leagues=("E0",)))
    model.wait()
    model.fetch_all()
    assert model.rowCount() == 10  # the opening weekend of the 2022-23 Premier League
    model.set_filter(MatchFilter(statuses=("postponed",)))
    model.wait()
    assert model.rowCount() == model.total_count() == 0
    model.set_filter(MatchFilter(text="no such team anywhere"))
    model.wait()
    assert model.total_count() == 0 and not model.canFetchMore()


def test_display_of_a_known_match(qtbot, sample_engine: Engine) -> None:
    model = MatchesModel(sample_engine)
    model.set_filter(MatchFilter(leagues=("E0",), seasons=("2022-23",)))
    model.wait()
    row = next(r for r in range(model.rowCount()) if model.row(r).values["home_team"] == "Crystal Palace")
    shown = [model.data(model.index(row, c)) for c in range(len(COLUMNS) - 1)]
    assert shown == ["2022-08-05 19:00", "E0", "2022-23", "Crystal Palace", "0–2", "Arsenal", "finished"]


def test_coverage_badges_say_present_missing_or_masked(qtbot, writable_engine: Engine) -> None:
    model = MatchesModel(writable_engine)
    model.set_filter(MatchFilter(leagues=("E0",), seasons=("2022-23",)))
    model.wait()
    badges = _badges(model, 0)
    assert badges["FT"] is BadgeState.PRESENT
    assert badges["ST"] is BadgeState.PRESENT
    assert badges["1X2"] is BadgeState.PRESENT and badges["CL"] is BadgeState.PRESENT
    # football-data declares no xG and no live data for the league: masked, not "missing", not zero.
    assert badges["xG"] is BadgeState.MASKED and badges["LIVE"] is BadgeState.MASKED

    first = model.row(0)
    with writable_engine.begin() as conn:
        # A provider that declares xG and live states for this league season, and a live state for the match.
        conn.execute(
            insert(coverage).values(
                provider="api-football",
                league="E0",
                season="2022-23",
                flags={"xg": True, "live_state": True, "statistics": True},
                statistics=["xg", "shots"],
                updated_at=datetime.now(UTC),
            )
        )
        conn.execute(
            insert(live_states).values(
                match_id=first.match_id,
                provider="api-football",
                observed_at=first.values["kickoff_utc"],
                minute=1,
                status="in_play",
                home_goals=0,
                away_goals=0,
                statistics={},
                data_staleness=0.0,
                ingested_at=datetime.now(UTC),
            )
        )
        # Another match loses its statistics: a covered statistic that is absent is a gap.
        second = model.row(1).match_id
        conn.execute(update(mm).where(mm.c.match_id == second).values(statistics={"home": {}, "away": {}}))
    model.reload()
    model.wait()
    badges = _badges(model, 0)
    assert badges["xG"] is BadgeState.MISSING  # now covered, still absent from this match
    assert badges["LIVE"] is BadgeState.PRESENT
    assert _badges(model, 1)["ST"] is BadgeState.MISSING
    tooltip = model.data(model.index(1, COLUMNS.index("Coverage")), 3)  # ToolTipRole
    assert "declared but absent" in tooltip


def test_reload_sees_new_matches(qtbot, writable_engine: Engine) -> None:
    model = MatchesModel(writable_engine)
    model.set_filter(MatchFilter(leagues=("E0",)))
    model.wait()
    before = model.total_count()
    with writable_engine.begin() as conn:
        victim = conn.execute(select(func.min(mm.c.match_id)).where(mm.c.league == "E0")).scalar_one()
        conn.execute(update(mm).where(mm.c.match_id == victim).values(league="D1"))
    model.reload()
    model.wait()
    assert model.total_count() == before - 1
