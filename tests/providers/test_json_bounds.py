"""Every provider JSON parse is bounded in size and depth: hostile payloads are clear rejections (rc 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from betfolio.cli import app
from betfolio.providers.base import PayloadError, json_depth, load_json

runner = CliRunner()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested 100000 levels deep"),
        (b'{"a": ' + b"1" * 5000 + b"}", "unusable JSON"),
        (b'{"odds": NaN}', "NaN"),
        (b'{"odds": Infinity}', "Infinity"),
        (b'{"get": "fixtures", "response": [', "malformed JSON"),
    ],
)
def test_hostile_payloads_are_payload_errors(content: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        load_json(content, provider="api-football", endpoint="fixtures")


def test_size_bound() -> None:
    with pytest.raises(PayloadError, match="exceeds the 10-byte limit"):
        load_json(b'{"a": [1, 2, 3]}', provider="p", endpoint="e", max_bytes=10)


def test_depth_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"a": ["[[[{{" * 50, {"b": 'quoted \\" [[[ "'}]})
    assert json_depth(text.encode()) == 3
    assert load_json(text, provider="p", endpoint="e")["a"][0].startswith("[[[")


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000, b'{"get": "fixtures", "response": ' + b"[" * 5000 + b"]" * 5000 + b"}", b"[" + b"9" * 5000 + b"]"],
)
def test_parse_command_exits_2_on_unusable_payloads(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = runner.invoke(app, ["parse", "api-football", "fixtures", str(bad)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stderr.startswith("error: api-football fixtures")


def test_one_nested_file_in_from_dir_does_not_stop_the_valid_ones(tmp_path: Path, af_dir: Path) -> None:
    folder = tmp_path / "recorded"
    shutil.copytree(af_dir, folder)
    (folder / "zz_hostile.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    args = ["ingest", "api-football", "--from-dir", str(folder), "--league", "D1", "--season", "2023-24"]
    result = runner.invoke(app, [*args, "--db", db, "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert any("zz_hostile.json" in e and "nested" in e for e in summary["errors"])
    assert summary["matches_added"] == 71  # every valid payload still stored


def test_duplicate_keys_are_refused_naming_the_key_and_the_object() -> None:
    text = (
        '{"get": "fixtures",\n "response": [{"fixture": {"id": 1}},\n   {"goals": {"home": 1, "away": 0, "home": 3}}]}'
    )
    with pytest.raises(PayloadError) as caught:
        load_json(text, provider="api-football", endpoint="fixtures")
    assert str(caught.value) == (
        "api-football fixtures: duplicate key 'home' in the object at line 3 column 14 (JSON keys must be unique)"
    )
    assert text.splitlines()[2][13:].startswith('{"home": 1')
    # The same key in two different objects is normal JSON.
    assert load_json('[{"a": 1}, {"a": 2, "b": {"a": 3}}]', provider="p", endpoint="e")[1]["b"] == {"a": 3}


def test_parse_command_exits_2_on_a_duplicate_key(tmp_path: Path) -> None:
    bad = tmp_path / "dup.json"
    bad.write_text('[{"id": "e1", "sport_key": "soccer_epl", "sport_key": "soccer_germany_bundesliga"}]')
    result = runner.invoke(app, ["parse", "odds-api", "odds", str(bad)])
    assert result.exit_code == 2, result.output
    assert "duplicate key 'sport_key' in the object at line 1 column 2" in result.stderr
