"""The paper trader on the real Redis stream, a real store and a really trained live worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from betfolio.live import paper as paper_module
from betfolio.live.paper import PaperConfig, PaperTrader, load_run
from betfolio.markets.settlement import settle
from betfolio.store.engine import make_engine
from betfolio.store.tables import bet_ledger, matches_master, runs
from tests.conftest import REDIS_URL
from tests.live.feed import PROVIDER, link_matches, match_states, publish

STREAM = f"betfolio:live:{PROVIDER}"


def _trader(engine: Engine, client: object, run: Path, **options: object) -> PaperTrader:
    network, manager, _ = load_run(run)
    config = PaperConfig(run, provider=PROVIDER, policy="sample", **options)  # type: ignore[arg-type]
    return PaperTrader(engine, client, network, manager, config)


def _pending(client: object) -> int:
    return int(client.xpending(STREAM, "paper")["pending"])  # type: ignore[attr-defined]


def _bets(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(bet_ledger).order_by(bet_ledger.c.bet_id)).mappings()]


def test_trades_the_stream_into_the_ledger_and_settles(season_engine: Engine, redis_client: object,
                                                       trained_run: Path) -> None:  # fmt: skip
    matches = link_matches(season_engine, 12)
    states = match_states(matches)
    publish(redis_client, states)
    redis_client.xadd(STREAM, {"state": b'{"minute": "soon"'})  # type: ignore[attr-defined]
    redis_client.xadd(STREAM, {"other": b"x"})  # type: ignore[attr-defined]
    publish(redis_client, match_states([(987654321, 0, 0)])[:1])  # a fixture nobody linked
    summary = _trader(season_engine, redis_client, trained_run).run(duration=240, until_idle=True)

    assert set(summary) >= {"states_read", "decisions", "bets", "skipped", "latency_ms"}
    assert set(summary["latency_ms"]) == {"p50", "p99"}
    assert summary["states_read"] == len(states) + 3
    assert summary["skipped"]["malformed"] == 2 and summary["skipped"]["unknown_match"] == 1
    assert summary["decisions"] == 90 * len(matches)
    assert summary["bets"] > 0, summary
    assert _pending(redis_client) == 0  # malformed and unknown entries were acknowledged too

    bets = _bets(season_engine)
    assert len(bets) == summary["bets"]
    assert len({(b["match_id"], b["detail"]["minute"]) for b in bets}) == len(bets)  # one bet per match-minute
    finals = {m: (h, a) for m, h, a in matches}
    for bet in bets:
        assert bet["status"] != "open" and bet["in_play"]
        expected = settle(bet["market"], bet["selection"], bet["line"], *finals[bet["match_id"]])
        assert bet["payout"] == pytest.approx(expected.payout(bet["stake"], bet["odds"]))
        assert bet["stake"] <= 0.05 * 1000.0 + 1e-9  # the risk chain's stake cap
    with season_engine.connect() as conn:
        run = conn.execute(select(runs).where(runs.c.kind == "paper")).mappings().one()
    assert run["status"] == "finished" and run["metrics"]["bets"] == summary["bets"]


def test_a_run_whose_model_selection_abstained_trades_no_bet(
    season_engine: Engine, redis_client: object, trained_run: Path, tmp_path: Path
) -> None:
    """What paper trading deploys is what the run's evaluation judged: the same trained network, the same states,
    but a model-selection record choosing abstention — every state is decided, no order leaves."""
    import shutil

    run = Path(shutil.copytree(trained_run, tmp_path / "gated"))
    record = {"selection": {"workers": {"live": {"deployed": "abstain", "validation_choice": "abstain"}}}}
    (run / "evaluation.json").write_text(json.dumps(record))
    assert paper_module.live_deployment(trained_run) == "trained"  # no record: the trained network trades
    assert paper_module.live_deployment(run) == "abstain"
    matches = link_matches(season_engine, 6)
    publish(redis_client, match_states(matches))
    summary = _trader(season_engine, redis_client, run).run(duration=240, until_idle=True)
    assert summary["deployed"] == "abstain"
    assert summary["decisions"] == 90 * len(matches) and summary["bets"] == 0
    assert _bets(season_engine) == []
    (run / "evaluation.json").write_text("{not json")
    with pytest.raises(ValueError, match="unreadable model-selection record"):
        paper_module.live_deployment(run)


def test_a_redelivered_read_adds_no_bet(season_engine: Engine, redis_client: object, trained_run: Path) -> None:
    """Committed but not acknowledged (killed in between): the same entries come again to a fresh trader, which
    re-derives the same bets (same ids) and leaves the ledger as it was."""
    publish(redis_client, match_states(link_matches(season_engine, 6))[: 6 * 80])
    first = _trader(season_engine, redis_client, trained_run, batch=10_000)
    events = first.feed.poll(50)
    while first.feed.holding:
        events += first.feed.poll(50)
    for event in events:
        first._handle(event)
    first._record()  # committed, never acknowledged
    placed = _bets(season_engine)
    assert placed, "the sampled policy bets on some of 480 states"
    assert _pending(redis_client) == 6 * 80

    def key(rows: list[dict]) -> list[tuple]:
        return [
            (b["bet_id"], b["match_id"], b["detail"]["minute"], b["selection"], b["stake"], b["odds"]) for b in rows
        ]

    again = _trader(season_engine, redis_client, trained_run, batch=10_000)
    assert again.bank.open_stake == 0.0  # nothing handled yet: the read was never acknowledged
    summary = again.run(duration=60, until_idle=True)
    assert summary["states_read"] == 6 * 80 and summary["bets"] == 0
    assert key(_bets(season_engine)) == key(placed)
    assert _pending(redis_client) == 0


def test_stale_data_places_no_bet(season_engine: Engine, redis_client: object, trained_run: Path) -> None:
    publish(redis_client, match_states(link_matches(season_engine, 4), staleness=120.0)[: 4 * 60])
    summary = _trader(season_engine, redis_client, trained_run, max_staleness=30.0).run(duration=120, until_idle=True)
    assert summary["bets"] == 0 and summary["decisions"] == 240
    assert summary["skipped"]["stale_data"] > 0
    assert _bets(season_engine) == []


def test_open_bets_settle_from_the_store(season_engine: Engine, redis_client: object, trained_run: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    matches = link_matches(season_engine, 6)
    publish(redis_client, [s for s in match_states(matches) if s.status.value == "in_play" and s.minute <= 70])
    trader = _trader(season_engine, redis_client, trained_run)
    monkeypatch.setattr(paper_module, "SETTLE_FROM_STORE_SECONDS", 1e9)
    trader.run(duration=120, until_idle=True)
    assert trader.open_bets and all(b["status"] == "open" for b in _bets(season_engine))
    monkeypatch.setattr(paper_module, "SETTLE_FROM_STORE_SECONDS", 0.0)  # the results are in the store (real E0)
    trader.run(duration=30, until_idle=True)
    assert not trader.open_bets
    with season_engine.connect() as conn:
        results = {r[0]: (r[1], r[2]) for r in conn.execute(
            select(matches_master.c.match_id, matches_master.c.home_goals, matches_master.c.away_goals))}  # fmt: skip
    for bet in _bets(season_engine):
        expected = settle(bet["market"], bet["selection"], bet["line"], *results[bet["match_id"]])
        assert bet["status"] == expected.outcome.value


def _ledger_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(bet_ledger)).scalar_one())
    except Exception:
        return 0
    finally:
        engine.dispose()


def test_sigkill_mid_stream_neither_loses_nor_duplicates(season_db: Path, tmp_path: Path, redis_client: object,
                                                         trained_run: Path) -> None:  # fmt: skip
    store = tmp_path / "store.sqlite"
    store.write_bytes(season_db.read_bytes())
    url = f"sqlite:///{store}"
    engine = make_engine(url)
    matches = link_matches(engine, 120)  # long enough that the first commit comes well before the end
    states = match_states(matches)
    _publish_by_minute(redis_client, states)  # the poller's rhythm: one batch (one tick) per minute
    command = [
        sys.executable, "-m", "betfolio.cli", "paper", "--redis", REDIS_URL, "--db", url, "--run", str(trained_run),
        "--provider", PROVIDER, "--policy", "sample", "--consumer", "trader-1", "--json",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    first = subprocess.Popen([*command, "--duration", "600"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 400
    while _ledger_count(url) == 0 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    assert first.poll() is None, first.communicate()[1].decode()[-3000:]
    os.kill(first.pid, signal.SIGKILL)
    first.wait(30)
    before = _bets(engine)
    assert before, "the first trader committed bets before it was killed"
    group = {g["name"].decode(): g for g in redis_client.xinfo_groups(STREAM)}["paper"]  # type: ignore[attr-defined]
    assert group["entries-read"] < len(states), "killed mid-stream, not after the end"

    second = subprocess.run(
        [*command, "--duration", "240", "--until-idle"], capture_output=True, text=True, env=env, timeout=400
    )
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    after = _bets(engine)
    assert {b["bet_id"] for b in before} <= {b["bet_id"] for b in after}  # nothing committed was lost
    keys = Counter((b["match_id"], b["detail"]["minute"]) for b in after)
    assert max(keys.values()) == 1  # no duplicate decision
    assert len(after) == len(before) + summary["bets"]
    assert _pending(redis_client) == 0
    group = {g["name"].decode(): g for g in redis_client.xinfo_groups(STREAM)}["paper"]  # type: ignore[attr-defined]
    assert group["entries-read"] == len(states) and group["lag"] == 0  # every state was read
    assert all(b["status"] != "open" for b in after)  # the final states (or the store) settled everything
    engine.dispose()


def _publish_by_minute(client: object, states: list) -> None:
    """One burst per minute, a few milliseconds apart: the poller's rhythm, one tick per minute."""
    by_minute: dict[tuple[int, str], list] = {}
    for s in states:
        by_minute.setdefault((s.minute, s.status.value), []).append(s)
    for batch in by_minute.values():
        publish(client, batch)
        time.sleep(0.02)


def test_a_restarted_trader_decides_as_an_uninterrupted_one(season_db: Path, tmp_path: Path, redis_client: object,
                                                             trained_run: Path, monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:  # fmt: skip
    """Memory survives a restart: recurrent state, positions, bankroll and manager are rebuilt from the stream's
    handled history, so the bets, the equity and the LSTM state match a trader that never stopped. (The store
    holds these matches' real results; settling from it is for matches whose final state never comes, and
    happens at wall-clock moments no replay can repeat, so it is off here — the final states settle.)"""
    monkeypatch.setattr(paper_module, "SETTLE_FROM_STORE_SECONDS", 1e9)
    engines = []
    for name in ("whole", "restarted"):
        copy = tmp_path / f"{name}.sqlite"
        copy.write_bytes(season_db.read_bytes())
        engines.append(make_engine(f"sqlite:///{copy}"))
    whole_db, restarted_db = engines
    matches = link_matches(whole_db, 8)
    link_matches(restarted_db, 8)
    in_play = matches[0][0]  # its final state never comes: its memory is still held at the end
    states = [s for s in match_states(matches) if not (s.provider_match_id == f"f{in_play}" and s.status.is_final)]
    _publish_by_minute(redis_client, states)

    whole = _trader(whole_db, redis_client, trained_run, batch=100)
    whole.run(duration=120, until_idle=True)
    redis_client.xgroup_destroy(STREAM, "paper")  # type: ignore[attr-defined]

    first = _trader(restarted_db, redis_client, trained_run, batch=100)
    while first.summary.states_read < 8 * 45:
        first.step(50)
    events = first.feed.poll(50)  # read, decided and recorded, then killed before the acknowledgement
    for event in events:
        first._handle(event)
    first._record()
    del first

    second = _trader(restarted_db, redis_client, trained_run, batch=100)
    assert second.summary.replayed > 0
    second.run(duration=120, until_idle=True)

    def key(db: Engine) -> list[tuple]:
        return [(b["bet_id"], b["stake"], b["odds"], b["status"], b["payout"]) for b in _bets(db)]

    assert key(whole_db) and key(restarted_db) == key(whole_db)
    assert second.bank.equity == pytest.approx(whole.bank.equity)
    assert second.strategy.manager.win_rate("live") == pytest.approx(whole.strategy.manager.win_rate("live"))
    mine, theirs = second.strategy.memory(in_play), whole.strategy.memory(in_play)
    assert mine is not None and theirs is not None and bool(theirs[0].abs().sum() > 0)
    assert all(a.allclose(b, atol=1e-6) for a, b in zip(mine, theirs, strict=True))
    for match_id, _h, _a in matches[1:]:  # ended: their memory was freed in both
        assert second.strategy.memory(match_id) is None and whole.strategy.memory(match_id) is None
    for db in engines:
        db.dispose()


class _Flaky:
    """A Redis client whose stream reads fail ``failures`` times once ``after`` reads have succeeded."""

    def __init__(self, client: object, after: int, failures: int) -> None:
        self._client, self.after, self.failures, self.reads = client, after, failures, 0

    def xreadgroup(self, *args: object, **kwargs: object) -> object:
        import redis

        self.reads += 1
        if self.reads > self.after and self.failures > 0:
            self.failures -= 1
            raise redis.ConnectionError("Redis went away")
        return self._client.xreadgroup(*args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)


def test_redis_going_away_the_trader_waits_and_resumes_where_it_was(
    season_db: Path, tmp_path: Path, redis_client: object, trained_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paper_module, "SETTLE_FROM_STORE_SECONDS", 1e9)
    engines = []
    for name in ("steady", "flaky"):
        copy = tmp_path / f"{name}.sqlite"
        copy.write_bytes(season_db.read_bytes())
        engines.append(make_engine(f"sqlite:///{copy}"))
    steady_db, flaky_db = engines
    matches = link_matches(steady_db, 6)
    link_matches(flaky_db, 6)
    _publish_by_minute(redis_client, match_states(matches[:3]))  # three matches end before the other three start
    _publish_by_minute(redis_client, match_states(matches[3:]))
    steady = _trader(steady_db, redis_client, trained_run, batch=50)
    steady.run(duration=120, until_idle=True)
    redis_client.xgroup_destroy(STREAM, "paper")  # type: ignore[attr-defined]

    flaky_client = _Flaky(redis_client, after=8, failures=3)  # after the first three ended: their results replay
    flaky = _trader(flaky_db, flaky_client, trained_run, batch=50)
    summary = flaky.run(duration=120, until_idle=True)
    assert flaky_client.failures == 0  # it failed three times, waited, rebuilt and went on
    assert summary["replayed"] > 0 and _pending(redis_client) == 0

    def key(db: Engine) -> list[tuple]:
        return [(b["bet_id"], b["stake"], b["odds"], b["status"], b["payout"]) for b in _bets(db)]

    assert key(steady_db) and key(flaky_db) == key(steady_db)
    assert flaky.bank.equity == pytest.approx(steady.bank.equity)
    for db in engines:
        db.dispose()


def test_bets_on_trimmed_entries_are_restored_from_the_ledger_and_settle(
    season_engine: Engine, redis_client: object, trained_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stream keeps its last 100,000 entries: a trader restarting after older ones were trimmed cannot
    re-decide their bets, so it restores them from the ledger; they settle on their final states."""
    monkeypatch.setattr(paper_module, "SETTLE_FROM_STORE_SECONDS", 1e9)
    matches = link_matches(season_engine, 6)
    states = match_states(matches)
    in_play = [s for s in states if not s.status.is_final]
    _publish_by_minute(redis_client, in_play)
    first = _trader(season_engine, redis_client, trained_run, batch=100)
    first.run(duration=120, until_idle=True)
    placed = _bets(season_engine)
    assert placed and all(b["status"] == "open" for b in placed)
    redis_client.xtrim(STREAM, maxlen=30, approximate=False)  # type: ignore[attr-defined]

    second = _trader(season_engine, redis_client, trained_run, batch=100)
    trimmed = [b for b in placed if b["detail"]["minute"] < 85]  # decided on entries no longer in the stream
    assert trimmed and second.bank.open_stake == pytest.approx(sum(b["stake"] for b in placed))
    publish(redis_client, [s for s in states if s.status.is_final])
    second.run(duration=60, until_idle=True)
    after = _bets(season_engine)
    assert {b["bet_id"] for b in after} == {b["bet_id"] for b in placed} and all(b["status"] != "open" for b in after)
    profit = sum(b["payout"] - b["stake"] for b in after)
    assert second.bank.equity == pytest.approx(1000.0 + profit) and not second.open_bets
