from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import ValidationError

from betfolio.canonical import (
    Coverage,
    FeatureVector,
    LiveMatchState,
    Market,
    Match,
    MatchStatus,
    OddsQuote,
    Selection,
    normalise_season,
)

NOW = datetime(2022, 8, 5, 19, 0, tzinfo=UTC)


def quote(**overrides):
    values = dict(
        provider="p",
        provider_match_id="m",
        bookmaker="b",
        market=Market.MATCH_ODDS,
        selection=Selection.HOME,
        odds=2.0,
        quoted_at=NOW,
        ingested_at=NOW,
    )
    values.update(overrides)
    return OddsQuote(**values)


def match(**overrides):
    values = dict(
        provider="p",
        provider_match_id="m",
        league="E0",
        season="2022-23",
        kickoff=NOW,
        home_team="Crystal Palace",
        away_team="Arsenal",
        status=MatchStatus.FINISHED,
        home_goals=0,
        away_goals=2,
        ht_home_goals=0,
        ht_away_goals=1,
    )
    values.update(overrides)
    return Match(**values)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-23", "2022-23"),
        ("2022/23", "2022-23"),
        ("2022-2023", "2022-23"),
        ("2223", "2022-23"),
        ("1999-00", "1999-00"),
        ("2023", "2023"),
    ],
)
def test_season_normalisation(raw, expected):
    assert normalise_season(raw) == expected


@pytest.mark.parametrize("raw", ["2022-24", "22-23", "season", ""])
def test_bad_season_rejected(raw):
    with pytest.raises(ValueError):
        normalise_season(raw)


def test_quote_rejects_odds_at_or_below_one():
    for bad in (1.0, 0.0, -2.0, float("nan"), float("inf")):
        with pytest.raises(ValidationError):
            quote(odds=bad)


def test_quote_market_rules():
    with pytest.raises(ValidationError, match="not part of market"):
        quote(selection=Selection.OVER)
    with pytest.raises(ValidationError, match="needs a line"):
        quote(market=Market.TOTAL_GOALS, selection=Selection.OVER)
    with pytest.raises(ValidationError, match="takes no line"):
        quote(line=0.5)
    with pytest.raises(ValidationError, match=r"multiple of 0\.25"):
        quote(market=Market.ASIAN_HANDICAP, line=-1.2)
    assert quote(market=Market.ASIAN_HANDICAP, line=-0.75).line == -0.75


def test_timestamps_must_be_aware_and_become_utc():
    with pytest.raises(ValidationError, match="timezone-aware"):
        quote(quoted_at=datetime(2022, 8, 5, 19, 0))
    plus_two = timezone(timedelta(hours=2))
    q = quote(quoted_at=datetime(2022, 8, 5, 21, 0, tzinfo=plus_two))
    assert q.quoted_at == NOW and q.quoted_at.tzinfo == UTC


def test_match_consistency_checks():
    assert match().result == "A"
    with pytest.raises(ValidationError, match="same"):
        match(away_team="crystal palace")
    with pytest.raises(ValidationError, match="half-time score"):
        match(ht_home_goals=3)
    with pytest.raises(ValidationError, match="without a full-time score"):
        match(home_goals=None, away_goals=None)
    with pytest.raises(ValidationError, match="only one side"):
        match(status=MatchStatus.SCHEDULED, home_goals=None)
    scheduled = match(
        status=MatchStatus.POSTPONED, home_goals=None, away_goals=None, ht_home_goals=None, ht_away_goals=None
    )
    assert scheduled.result is None and scheduled.status.voids_bets


def test_all_statuses_exist():
    names = {s.value for s in MatchStatus}
    assert {"scheduled", "in_play", "finished", "postponed", "cancelled", "abandoned", "awarded"} <= names


def test_records_are_immutable_and_self_describing():
    q = quote()
    with pytest.raises(ValidationError):
        q.odds = 3.0
    assert q.to_json_dict()["kind"] == "odds_quote"
    assert match().to_json_dict()["kind"] == "match"


def test_missing_xg_is_not_zero():
    fv = FeatureVector.from_mapping(["xg", "shots", "corners"], {"xg": None, "shots": 0.0})
    assert fv.get("xg") is None
    assert fv.get("shots") == 0.0
    assert fv.get("corners") is None
    assert fv.mask.tolist() == [0.0, 1.0, 0.0]
    assert fv.values.tolist() == [0.0, 0.0, 0.0]  # values alone cannot tell; the mask can
    assert fv.as_model_input().shape == (6,)
    nan = FeatureVector.from_mapping(["xg"], {"xg": float("nan")})
    assert nan.get("xg") is None


def test_live_state_features_follow_payload_and_coverage():
    state = LiveMatchState(
        provider="p",
        provider_match_id="m",
        minute=62,
        home_goals=1,
        away_goals=1,
        statistics={"home": {"shots": 7, "xg": 0.0}, "away": {"shots": 3}},
        observed_at=NOW,
        data_staleness=150,
    )
    fv = state.feature_vector(stats=("shots", "xg"))
    assert fv.get("staleness") == pytest.approx(0.5)
    assert fv.get("home_xg") == 0.0  # reported zero xG is present
    assert fv.get("away_xg") is None  # not reported: masked
    no_xg = Coverage(provider="p", league="E0", season="2022-23", statistics=("shots",))
    masked = state.feature_vector(coverage=no_xg, stats=("shots", "xg"))
    assert masked.get("home_xg") is None  # coverage says the provider has no xG here
    assert masked.get("home_shots") == 7


def test_all_missing_state_is_finite():
    state = LiveMatchState(provider="p", provider_match_id="m", minute=0, home_goals=0, away_goals=0, observed_at=NOW)
    fv = state.feature_vector()
    assert np.all(np.isfinite(fv.as_model_input()))
    assert fv.mask[4:].sum() == 0


def _live_json(provider: str = "p", home_stats: str = "{}") -> bytes:
    return (
        f'{{"provider":"{provider}","provider_match_id":"9","minute":12,"home_goals":0,"away_goals":1,'
        f'"statistics":{{"home":{home_stats},"away":{{}}}},"observed_at":"2024-03-01T20:00:00Z"}}'
    ).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_live_json(provider="a\\u0000b"), "provider contains a NUL character"),
        (_live_json(home_stats='{"sh\\u0000ts":3.0}'), "statistics.home key 'sh\\x00ts' contains a NUL character"),
        (_live_json(provider="a\x00b"), None),  # a raw NUL byte: refused (by the parser or the walk) either way
    ],
)
def test_json_validation_refuses_a_nul_as_the_model_does(raw: bytes, message: str | None) -> None:
    from betfolio.canonical.base import validate_json

    with pytest.raises(ValidationError) as walked:
        LiveMatchState.model_validate_json(raw)
    with pytest.raises(ValidationError) as fast:
        validate_json(LiveMatchState, raw)
    assert fast.value.errors()[0]["msg"] == walked.value.errors()[0]["msg"]
    if message is not None:
        assert walked.value.errors()[0]["msg"] == f"Value error, {message}"


@pytest.mark.parametrize("raw", [_live_json(), _live_json(provider="a\\\\u0000"), _live_json(home_stats='{"xg":0.4}')])
def test_json_validation_of_clean_text_gives_the_models_record(raw: bytes) -> None:
    from betfolio.canonical.base import validate_json

    record = validate_json(LiveMatchState, raw)
    assert record == LiveMatchState.model_validate_json(raw)
    assert validate_json(LiveMatchState, raw.decode()) == record  # text in, same record
