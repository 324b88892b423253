"""Episodes from the store: same matches as the bundled sample, exclusions with reasons, no look-ahead."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, insert, select, update

from betfolio.canonical import LiveMatchState, MatchStatus
from betfolio.features.prematch import PREMATCH_FEATURES, prematch_features
from betfolio.ingest.football_data import ingest_paths
from betfolio.sim.batched import BatchedLiveSim
from betfolio.sim.envs import PreMatchBettingEnv
from betfolio.sim.episodes import build_matchset, load_matchset
from betfolio.sim.faults import FaultConfig
from betfolio.sim.timeline import build_bank
from betfolio.store import queries
from betfolio.store.tables import daily_betting_lines, matches_master
from betfolio.store.writer import insert_live_states


@pytest.fixture
def ingested(engine, tmp_path: Path):
    source = resources.files("betfolio.data").joinpath("sample", "football-data", "2022-23", "E0.csv.gz")
    (tmp_path / "2022-23").mkdir()
    with resources.as_file(source) as path:
        shutil.copy(path, tmp_path / "2022-23" / "E0.csv.gz")
    summary = ingest_paths(engine, [tmp_path])
    assert summary.errors == []
    return engine


def _match(conn, home: str, away: str) -> dict:
    row = queries.find_match(conn, "E0", "2022-23", home, away)
    assert row is not None
    return row


def test_store_and_sample_give_the_same_episodes(ingested, sample_matches):
    ms = load_matchset(ingested, leagues=["E0"], seasons=["2022-23"])
    assert len(ms) == len(sample_matches) == 380 and ms.exclusions == []
    np.testing.assert_allclose(ms.prematch_fair, sample_matches.prematch_fair, atol=1e-12)
    np.testing.assert_allclose(ms.prematch_odds, sample_matches.prematch_odds)
    np.testing.assert_array_equal(ms.full_time, sample_matches.full_time)
    np.testing.assert_array_equal(ms.stat_totals, sample_matches.stat_totals)
    assert set(ms.bet_bookmaker) == {"pinnacle"}
    assert np.isfinite(ms.closing_odds).all() and np.isfinite(ms.fair_over).all()
    assert (np.diff(ms.kickoff.astype("int64")) >= 0).all()


def test_one_bookmaker_only(ingested):
    ms = load_matchset(ingested, leagues=["E0"], bookmaker="bet365")
    assert set(ms.bet_bookmaker) == {"bet365"}
    implied = 1 / ms.prematch_odds
    np.testing.assert_allclose(ms.prematch_fair, implied / implied.sum(1, keepdims=True))


def test_matches_without_result_or_odds_are_excluded_with_reasons(ingested):
    with ingested.begin() as conn:
        rows = queries.matches(conn, leagues=["E0"])
        no_odds, no_result = rows[10]["match_id"], rows[20]["match_id"]
        conn.execute(delete(daily_betting_lines).where(daily_betting_lines.c.match_id == no_odds))
        conn.execute(
            update(matches_master)
            .where(matches_master.c.match_id == no_result)
            .values(status="postponed", home_goals=None, away_goals=None, ht_home_goals=None, ht_away_goals=None)
        )
    ms = load_matchset(ingested, leagues=["E0"])
    assert len(ms) == 378
    assert ms.exclusion_counts == {"no result": 1, "no pre-match 1x2 odds": 1}
    assert {e.match_id for e in ms.exclusions} == {no_odds, no_result}
    assert ms.summary()["excluded_by_reason"] == ms.exclusion_counts
    with pytest.raises(ValueError, match="no matches"):
        load_matchset(ingested, leagues=["XX"])


def test_quotes_after_kickoff_and_closing_prices_never_reach_decisions(ingested):
    with ingested.begin() as conn:
        match = _match(conn, "Crystal Palace", "Arsenal")
        template = (
            conn.execute(
                select(daily_betting_lines).where(
                    daily_betting_lines.c.match_id == match["match_id"],
                    daily_betting_lines.c.bookmaker == "pinnacle",
                    daily_betting_lines.c.market == "1x2",
                    daily_betting_lines.c.is_closing.is_(False),
                )
            )
            .mappings()
            .all()
        )
        later = [
            {**row, "odds": 50.0 if row["selection"] == "home" else 1.05,
             "quoted_at": match["kickoff_utc"] + timedelta(minutes=5)}
            for row in template
        ]  # fmt: skip
        conn.execute(insert(daily_betting_lines), later)
    before = load_matchset(ingested, leagues=["E0"])
    row = int(np.nonzero(before.match_id == match["match_id"])[0][0])
    assert before.prematch_odds[row].tolist() == [4.5, 3.65, 1.89]  # the pre-kick-off Pinnacle price
    assert before.closing_odds[row].tolist() == [4.58, 3.63, 1.88]  # kept for evaluation only
    assert not np.isin(before.prematch_odds, [50.0, 1.05]).any()


def test_real_live_states_drive_the_replay(ingested):
    with ingested.begin() as conn:
        match = _match(conn, "Crystal Palace", "Arsenal")
        kickoff = match["kickoff_utc"]
        states = [
            LiveMatchState(
                provider="api-football",
                provider_match_id="fx1",
                minute=m,
                status=MatchStatus.IN_PLAY,
                home_goals=0,
                away_goals=1 if m >= 20 else 0,
                home_red_cards=0,
                away_red_cards=1 if m >= 25 else 0,
                statistics={"home": {"shots": float(m // 5)}, "away": {"shots": float(m // 4), "corners": 1.0}},
                observed_at=kickoff + timedelta(minutes=m, seconds=30),
                data_staleness=12.0,
            )
            for m in range(0, 41, 5)
        ]
        added, problems = insert_live_states(conn, states, {"fx1": match["match_id"]})
        assert added == len(states) and problems == []
        other = queries.matches(conn, leagues=["E0"])[1]  # Fulham 2-2 Liverpool (HT 1-0)
        assert (other["home_goals"], other["away_goals"], other["ht_home_goals"]) == (2, 2, 1)
        events = [
            {"minute": m, "side": side, "type": "Goal", "detail": "Normal Goal"}
            for m, side in ((32, "home"), (64, "away"), (72, "home"), (80, "away"))
        ]
        conn.execute(
            update(matches_master)
            .where(matches_master.c.match_id == other["match_id"])
            .values(detail={"events": events})
        )
    ms = load_matchset(ingested, leagues=["E0"])
    row = int(np.nonzero(ms.match_id == match["match_id"])[0][0])
    assert list(ms.live) == [row]
    with_events = int(np.nonzero(ms.match_id == other["match_id"])[0][0])
    assert list(ms.events) == [with_events] and ms.summary()["with_event_minutes"] == 1
    assert np.nonzero(ms.events[with_events].goals[0])[0].tolist() == [31, 71]
    bank = build_bank(ms.subset([row]), n_variants=1, seed=0)
    assert bank.last_minute[0] == 40  # the feed stopped at 40' without a final whistle
    assert bank.values[0, 0, 22, 1] == 1 and bank.values[0, 0, 19, 1] == 0
    red_away = 2 + 2 * 5 + 1
    assert bank.values[0, 0, 30, red_away] == 1 and bank.present[0, 0, 30, red_away]
    sim = BatchedLiveSim(1, seed=0, bank=bank, faults=FaultConfig.none(), autoreset=False)
    sim.reset()
    for _ in range(40):
        *_, terminated, truncated, _mask, _info = sim.step(np.zeros(1, int))
    assert truncated[0] and not terminated[0]


def test_prematch_form_uses_only_results_known_at_the_decision_time(sample_matches):
    values, mask = prematch_features(sample_matches)
    first = np.argsort(sample_matches.kickoff, kind="stable")[0]
    from_form = [i for i, n in enumerate(PREMATCH_FEATURES) if "_form_" in n or n.startswith("model_edge_")]
    assert len(from_form) == 9
    assert not mask[first, from_form].any()  # the opening fixture has no form yet, so no form model either
    assert mask[:, :7].all()
    # changing a match's own result must not change its own features
    altered = sample_matches.subset(np.arange(len(sample_matches)))
    altered.full_time = altered.full_time.copy()
    r = int(np.argsort(sample_matches.kickoff)[200])
    altered.full_time[r] = [9, 9]
    values2, _ = prematch_features(altered)
    np.testing.assert_array_equal(values[r], values2[r])
    later = sample_matches.kickoff > sample_matches.kickoff[r]
    assert not np.array_equal(values[later], values2[later])
    # a later match decided in the same round (Friday prices, Sunday kick-off) does not see r's result either
    same_round = later & (sample_matches.decision_at == sample_matches.decision_at[r])
    assert same_round.any()
    np.testing.assert_array_equal(values[same_round], values2[same_round])


def test_prematch_env_rewards_a_decision_with_its_own_bets_settlement(sample_matches):
    env = PreMatchBettingEnv(sample_matches, reward="log_wealth", max_matches=30)
    _, info = env.reset()
    assert info["matches"] == 30
    r = env._todo[0]
    _, reward, _, _, info = env.step(3)  # back home, 5 % of equity
    h, a = sample_matches.full_time[r]
    odds = sample_matches.prematch_odds[r, 0]
    expected = 1 - 0.05 + (0.05 * odds if h > a else 0.0)
    assert info["bet_stake"] == pytest.approx(0.05) and reward == pytest.approx(np.log(expected))
    assert info["equity"] == pytest.approx(1.0)  # the bankroll only learns the result when the match has ended
    closing = sample_matches.closing_odds[r]
    assert info["clv"] == pytest.approx(odds * (1 / closing[0]) / (1 / closing).sum() - 1)


def test_prematch_env_gives_each_of_two_concurrent_bets_its_own_reward(sample_matches):
    env = PreMatchBettingEnv(sample_matches, reward="log_wealth")
    env.reset()
    rows = np.asarray(env.source.rows)
    kickoff = sample_matches.kickoff[rows]
    ft = sample_matches.full_time[rows]
    home_won = ft[:, 0] > ft[:, 1]
    # two matches kicking off together, one won by the home side and one not
    pair = next(
        (i, j)
        for i in range(len(rows))
        for j in range(i + 1, len(rows))
        if kickoff[i] == kickoff[j] and home_won[i] != home_won[j]
    )
    for _ in range(pair[0]):
        env.step(0)
    equity = env.bankroll.equity
    rewards = {}
    for k in range(pair[0], pair[1] + 1):
        _, reward, terminated, truncated, info = env.step(3 if k in pair else 0)
        if k in pair:
            rewards[k] = reward
            assert info["bet_stake"] == pytest.approx(0.05 * equity)  # both sized on the same equity
    odds = sample_matches.prematch_odds[rows[list(pair)], 0]
    for k, o in zip(pair, odds, strict=True):
        expected = equity * (1 - 0.05) + (0.05 * equity * o if home_won[k] else 0.0)
        assert rewards[k] == pytest.approx(np.log(expected / equity))
    while not (terminated or truncated):
        _, reward, terminated, truncated, info = env.step(0)
    assert terminated and not truncated and env.bankroll.open_stake == 0.0
    settled = {b.match_id: b for b in env.portfolio.bets}
    for k in pair:
        assert settled[int(sample_matches.match_id[rows[k]])].status == ("won" if home_won[k] else "lost")


def test_prematch_env_truncates_when_cut_short(sample_matches):
    env = PreMatchBettingEnv(sample_matches, max_matches=5)
    env.reset()
    flags = [env.step(1)[2:4] for _ in range(5)]
    assert flags[-1] == (False, True) and all(f == (False, False) for f in flags[:-1])
    assert env.bankroll.open_stake == 0.0
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_walk_forward_split_by_date(sample_matches):
    train = sample_matches.rows_between(None, date(2023, 1, 1))
    test = sample_matches.rows_between(date(2023, 1, 1))
    assert len(train) + len(test) == len(sample_matches) and not set(train) & set(test)
    assert sample_matches.kickoff[train].max() < sample_matches.kickoff[test].min()
    # an aware datetime in another zone means the same instant
    cet = datetime(2023, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    assert sample_matches.rows_between(cet).tolist() == test.tolist()
    sim = BatchedLiveSim(4, seed=0, bank=build_bank(sample_matches.subset(list(range(40))), n_variants=1),
                         matches=np.arange(10))  # fmt: skip
    sim.reset()
    assert (sim.tapes.match < 10).all()


def _frames(n_matches: int, quotes: list[dict]):
    kickoff = datetime(2022, 8, 5, 19, tzinfo=UTC)
    matches = pd.DataFrame(
        [
            {"match_id": i, "league": "E0", "season": "2022-23", "kickoff_utc": kickoff, "home_team": f"H{i}",
             "away_team": f"A{i}", "status": "finished", "home_goals": 1, "away_goals": 0, "ht_home_goals": None,
             "ht_away_goals": None, "statistics": {}}
            for i in range(n_matches)
        ]
    )  # fmt: skip
    columns = ["match_id", "bookmaker", "market", "selection", "line", "odds", "quoted_at", "is_closing", "in_play"]
    return matches, pd.DataFrame(quotes, columns=columns)


def test_builder_with_sparse_prices():
    noon = datetime(2022, 8, 5, 12, tzinfo=UTC)
    quotes = [
        {"match_id": 1, "bookmaker": "bet365", "market": "1x2", "selection": s, "line": None, "odds": o,
         "quoted_at": noon, "is_closing": False, "in_play": False}
        for s, o in (("home", 2.0), ("draw", 3.4), ("away", 3.9))
    ]  # fmt: skip
    ms = build_matchset(*_frames(2, quotes))
    assert len(ms) == 1 and ms.exclusion_counts == {"no pre-match 1x2 odds": 1}
    assert np.isnan(ms.fair_over).all() and np.isnan(ms.closing_odds).all()  # missing, not invented
    assert ms.bet_bookmaker.tolist() == ["bet365"] and (ms.half_time == -1).all()
    with pytest.raises(ValueError, match="no replayable match"):
        build_matchset(*_frames(1, []))
