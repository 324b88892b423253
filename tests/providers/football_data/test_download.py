"""`betfolio fetch football-data` against the stand-in: retries, skip unchanged, resume, nothing partial in place."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from betfolio.cli import app
from betfolio.data import bundled_sample
from betfolio.providers.football_data.download import client_for, fetch_football_data, season_code
from betfolio.providers.standin import StandIn, StandInState, load_football_data, serve
from betfolio.store.engine import make_engine
from betfolio.store.tables import matches_master


@pytest.fixture
def site() -> Iterator[StandIn]:
    state = StandInState()
    with bundled_sample() as sample:
        load_football_data(state, sample)
    with serve(state=state) as running:
        yield running


def _client(site: StandIn, attempts: int = 5):  # no real sleeping between retries in tests
    client = client_for(site.base_url, per_minute=1000, sleep=lambda _s: None)
    client.settings.attempts = attempts
    return client


def test_season_code() -> None:
    assert season_code("2019-20") == "1920" and season_code("1999-00") == "9900"
    with pytest.raises(ValueError, match="not a season"):
        season_code("2019-21")


def test_download_then_skip_unchanged_and_retry_a_server_error(site: StandIn, tmp_path: Path) -> None:
    site.faults.append("server_error")  # the first request fails with 500 and is retried
    report = fetch_football_data(["E0", "D1"], ["2021-22", "2022-23"], tmp_path, client=_client(site))
    assert [f.status for f in report.files] == ["downloaded"] * 4
    assert report.files[0].attempts == 2 and not report.failed
    with bundled_sample() as sample:
        original = gzip.decompress((sample / "2022-23" / "D1.csv.gz").read_bytes())
    assert (tmp_path / "2022-23" / "D1.csv").read_bytes() == original
    again = fetch_football_data(["E0", "D1"], ["2021-22", "2022-23"], tmp_path, client=_client(site))
    assert [f.status for f in again.files] == ["unchanged"] * 4
    assert not list(tmp_path.rglob("*.part"))
    # A local file altered on disk no longer matches its checksum: it is fetched again in full.
    (tmp_path / "2021-22" / "E0.csv").write_bytes(b"Div,Date\nE0,01/01/2022\n")
    repaired = fetch_football_data(["E0"], ["2021-22"], tmp_path, client=_client(site))
    assert repaired.files[0].status == "downloaded" and (tmp_path / "2021-22" / "E0.csv").stat().st_size > 10_000


def test_a_download_cut_midway_leaves_the_old_file_and_resumes(site: StandIn, tmp_path: Path) -> None:
    fetch_football_data(["E0"], ["2022-23"], tmp_path, client=_client(site))
    target = tmp_path / "2022-23" / "E0.csv"
    old = target.read_bytes()
    new = old.replace(b"\r\n", b"\n") + b"E0,28/05/2023,16:30,Extra,Row,1,1,D\n"  # the site republished the file
    site.state.football_data["2223/E0.csv"] = new
    site.faults.append("truncate")
    cut = fetch_football_data(["E0"], ["2022-23"], tmp_path, client=_client(site, attempts=1))
    assert cut.files[0].status == "failed" and "connection" in (cut.files[0].error or "")
    assert target.read_bytes() == old  # the good file stays in place, untouched
    part = target.with_name("E0.csv.part")
    assert 0 < part.stat().st_size < len(new)
    resumed = fetch_football_data(["E0"], ["2022-23"], tmp_path, client=_client(site))
    assert resumed.files[0].status == "resumed"
    assert target.read_bytes() == new and not part.exists()
    ranges = [r for r in site.state.requests if r["endpoint"] == "mmz4281/2223/E0.csv"]
    assert len(ranges) == 3


def test_fetch_command_downloads_ingests_and_credits(site: StandIn, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fetch.sqlite'}"
    args = ["fetch", "football-data", "--leagues", "E0,SP1,XX", "--seasons", "2021-22:2022-23"]
    args += ["--dest", str(tmp_path / "fd"), "--base-url", site.base_url, "--db", db, "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1  # XX does not exist on the site: reported, the rest kept and ingested
    payload = json.loads(result.stdout)
    assert payload["fetch"]["downloaded"] == 4 and payload["fetch"]["failed"] == 2
    assert "football-data.co.uk" in payload["fetch"]["credit"]
    assert payload["ingest"]["matches_added"] == 4 * 380
    assert "failed 2021-22/XX" in result.stderr
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(matches_master)).scalar_one() == 4 * 380
    engine.dispose()
    no_ingest = CliRunner().invoke(app, [*args[:-3], "--leagues", "E0", "--no-ingest", "--json"])
    assert no_ingest.exit_code == 0 and "ingest" not in json.loads(no_ingest.stdout)
