"""Logging: configured once, text or JSON lines, -v/-q, and no secret in any log line."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from betfolio.jobs.demo.providers_stage import recorded_dir
from betfolio.logs import configure_logging, level_for, register_secret
from betfolio.providers.standin import StandInState, serve

SRC = Path(__file__).resolve().parents[1] / "src"


def test_configure_once_json_lines_and_levels() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        out = io.StringIO()
        configure_logging("INFO", "json", stream=out)
        configure_logging("INFO", "json", stream=out)  # again: replaced, not doubled
        assert sum(h.get_name() == "betfolio" for h in root.handlers) == 1
        register_secret("abcdef-secret-value")
        logging.getLogger("betfolio.test").info("calling %s?apiKey=%s", "/v4/sports", "abcdef-secret-value")
        line = json.loads(out.getvalue().strip().splitlines()[-1])
        assert line["level"] == "INFO" and line["logger"] == "betfolio.test"
        assert line["message"] == "calling /v4/sports?apiKey=***"
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(logging.WARNING)
    assert level_for(0, True, "DEBUG") == logging.ERROR
    assert level_for(2, False, "WARNING") == logging.DEBUG
    assert level_for(0, False, "INFO") == logging.INFO


def test_no_secret_in_the_logs_of_a_run_with_keys_set(tmp_path: Path) -> None:
    """Ingest from both HTTP providers at DEBUG (httpx logs every URL; The Odds API's key is in the query)."""
    recorded = recorded_dir()
    assert recorded is not None
    af_key, oa_key, token = "af-key-0123456789abcdef", "oa-key-fedcba9876543210", "service-token-55aa55aa55"
    state = StandInState(api_football_key=af_key, odds_api_key=oa_key)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BETFOLIO_")},
        "PYTHONPATH": str(SRC),
        "BETFOLIO_CONFIG_DIR": str(tmp_path / "config"),
        "BETFOLIO_DATA_DIR": str(tmp_path / "data"),
        "BETFOLIO_API_FOOTBALL_KEY": af_key,
        "BETFOLIO_ODDS_API_KEY": oa_key,
        "BETFOLIO_SERVICE_TOKEN": token,
    }
    db = f"sqlite:///{tmp_path / 'logs.sqlite'}"
    logs = []
    with serve(recorded / "api_football", recorded / "the_odds_api", state) as standin:
        for args in (
            ["ingest", "odds-api", "--league", "D1", "--base-url", standin.odds_api_url],
            ["ingest", "api-football", "--league", "D1", "--season", "2023", "--base-url", standin.api_football_url],
        ):
            run = subprocess.run(
                [sys.executable, "-m", "betfolio", "-vv", "--log-format", "json", *args, "--db", db],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
            assert run.returncode == 0, run.stderr[-3000:]
            logs.append(run.stderr)
    lines = [json.loads(line) for text in logs for line in text.splitlines() if line.startswith("{")]
    assert any("HTTP Request" in line["message"] for line in lines)  # the request log really was on
    assert any("apiKey=***" in line["message"] for line in lines)  # ... including the query-string key
    everything = "\n".join(logs)
    for secret in (af_key, oa_key, token):
        assert secret not in everything
