"""Property-based fuzzing of the football-data CSV parser and its ingest: clear rejection or success, never a
traceback, never a partial write."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from betfolio.ingest.football_data import ingest_paths
from betfolio.providers.football_data.parser import FormatError, parse_csv
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade
from betfolio.store.tables import daily_betting_lines, ingest_runs, matches_master, raw_payloads, teams

HEADER = (
    "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HS,AS,HY,AY,B365H,B365D,B365A,BWH,BWD,BWA,AvgH,AvgD,AvgA"
)
ROW = "E0,05/08/2022,20:00,Crystal Palace,Arsenal,0,2,A,0,1,10,10,1,2,4.2,3.6,1.85,4.1,3.5,1.87,4.15,3.55,1.86"

cell = st.one_of(
    st.sampled_from(["", "0", "-1", "1e308", "nan", "inf", "175", "1.01", "31/12/9999", "01/01/0001", "99:99"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def csv_files(draw) -> bytes:
    """A real header and rows, some cells replaced by garbage, some rows cut, odd line endings and encodings."""
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        cells = ROW.split(",")
        for _ in range(draw(st.integers(0, 4))):
            cells[draw(st.integers(0, len(cells) - 1))] = draw(cell).replace(",", ";")
        line = ",".join(cells)
        if draw(st.booleans()):
            line = line[: draw(st.integers(0, len(line)))]
        rows.append(line)
    text = "\n".join([HEADER, *rows]) + draw(st.sampled_from(["\n", "", "\n\n"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = text.replace("\n", newline)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"])), errors="replace")


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(content=csv_files())
def test_parser_rejects_clearly_or_succeeds(content: bytes) -> None:
    try:
        parsed = parse_csv(content, "2022-23/E0.csv")
    except FormatError as exc:
        assert str(exc).startswith("2022-23/E0.csv")
        return
    for match in parsed.matches:
        match.to_json_dict()
    for quote in parsed.quotes:
        assert 1.0 < quote.odds < float("inf")
    for reject in parsed.rejects:
        assert reject.line >= 2 and reject.reason


@FUZZ
@given(content=st.binary(max_size=400))
def test_parser_on_arbitrary_bytes(content: bytes) -> None:
    with contextlib.suppress(FormatError):  # a clear rejection is fine; any other exception fails the test
        parse_csv(HEADER.encode() + b"\n" + content, "2022-23/E0.csv")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(content=csv_files())
def test_ingest_stores_a_file_whole_or_not_at_all(tmp_path_factory, content: bytes) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "2022-23" / "E0.csv"
    path.parent.mkdir()
    path.write_bytes(content)
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite'}")
    upgrade(engine)
    summary = ingest_paths(engine, [path])
    with engine.connect() as conn:
        n = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
             for t in (matches_master, daily_betting_lines, raw_payloads, ingest_runs, teams)}  # fmt: skip
    engine.dispose()
    if summary.errors:
        assert all(str(Path(path)) in e for e in summary.errors)
        assert set(n.values()) == {0}, n  # refused whole: nothing of it kept
    else:
        assert n["ingest_runs"] == n["raw_payloads"] == 1
        assert n["matches_master"] == summary.matches_added and n["daily_betting_lines"] == summary.quotes_added
