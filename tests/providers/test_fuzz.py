"""Property-based fuzzing of every mapper: any JSON in, never an unhandled exception out.

A mapper may refuse a payload as a whole (PayloadError) or reject records inside it; anything else escaping
would crash an ingest run on one bad response.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from betfolio.providers.api_football.adapter import ApiFootball
from betfolio.providers.base import PayloadError
from betfolio.providers.odds_api.adapter import OddsApi

AF = ApiFootball()
OA = OddsApi()

scalars = st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)


def _check(adapter, endpoint: str, payload: object) -> None:
    try:
        result = adapter.parse_payload(endpoint, payload)
    except PayloadError:
        return
    for record in result.records:
        record.to_json_dict()  # every record that got out is valid and serialisable


def _mutations(template: object, draw) -> object:
    """Replace one random node of a real payload with arbitrary JSON."""
    if isinstance(template, dict) and template:
        key = draw(st.sampled_from(sorted(template)))
        copy = dict(template)
        copy[key] = draw(json_values) if draw(st.booleans()) else _mutations(template[key], draw)
        return copy
    if isinstance(template, list) and template:
        i = draw(st.integers(0, len(template) - 1))
        copy = list(template)
        copy[i] = draw(json_values) if draw(st.booleans()) else _mutations(template[i], draw)
        return copy
    return draw(json_values)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("endpoint", sorted(AF.endpoints))
@FUZZ
@given(payload=json_values)
def test_api_football_arbitrary_json(endpoint: str, payload: object) -> None:
    _check(AF, endpoint, payload)


@pytest.mark.parametrize("endpoint", sorted(AF.endpoints))
@FUZZ
@given(items=st.lists(json_values, max_size=3))
def test_api_football_envelope_with_arbitrary_items(endpoint: str, items: list) -> None:
    _check(AF, endpoint, {"get": endpoint, "errors": [], "parameters": {"fixture": "1"}, "response": items})


SAMPLES = {
    "fixtures": "syurchen93/fixtures-cl-penalties.json",
    "odds/live": "badkaktus/odds_live.json",
    "odds": "lucasnopc/odds_prematch_pinnacle_matchwinner_envelopes_2021-04-22.json",
    "leagues": "badkaktus/leagues.json",
    "players": "syurchen93/player-info-bundes-2022.json",
    "injuries": "syurchen93/injuries-date-bundes.json",
    "fixtures/statistics": "badkaktus/fixtures_statistics.json",
    "fixtures/events": "syurchen93/fixture-events.json",
    "fixtures/lineups": "syurchen93/fixture-lineup-full.json",
    "fixtures/players": "syurchen93/fixture-player-stats.json",
    "status": "badkaktus/status.json",
}


@pytest.mark.parametrize("endpoint", sorted(SAMPLES))
@FUZZ
@given(data=st.data())
def test_api_football_mutated_real_payloads(af_dir: Path, endpoint: str, data) -> None:
    template = json.loads((af_dir / SAMPLES[endpoint]).read_bytes())
    _check(AF, endpoint, _mutations(template, data.draw))


@FUZZ
@given(data=st.data())
def test_odds_api_mutated_real_payload(oa_dir: Path, data) -> None:
    template = json.loads((oa_dir / "karuma46_soccer_epl_odds_h2h_2024-08-19.json").read_bytes())
    _check(OA, "odds", _mutations(template, data.draw))


@FUZZ
@given(payload=json_values)
def test_odds_api_arbitrary_json(payload: object) -> None:
    _check(OA, "odds", payload)


@FUZZ
@given(content=st.binary(max_size=200))
def test_raw_bytes_never_crash(content: bytes) -> None:
    for adapter, endpoint in ((AF, "fixtures"), (OA, "odds")):
        with contextlib.suppress(PayloadError):
            adapter.parse(endpoint, content)
