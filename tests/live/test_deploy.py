"""deploy/: the Compose file, the alert rules, the dashboards — validated with the real tools, and every
service's exact command run natively against the local PostgreSQL and Redis with the same secrets layout."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from betfolio.live.metrics import metric_names
from betfolio.net import free_port
from tests.conftest import REDIS_URL, service_unavailable
from tests.live.feed import link_matches, match_states, publish

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
BETFOLIO_SERVICES = ("adapter", "poller", "trader")
METRIC = re.compile(r"\bbetfolio_[a-z0-9_]+")
DB_PASSWORD = "db-password-never-printed"
OUTPUTS: dict[str, str] = {}  # what each natively run service printed


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        service_unavailable(f"{name} not installed (Debian package 'prometheus' / PyPI 'check-jsonschema')")
    return found  # type: ignore[return-value]


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


# -- static checks with the real validators -------------------------------------------------------------------------
def test_compose_file_is_valid_compose_spec() -> None:
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_hardening() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "adapter", "poller", "trader", "prometheus", "grafana"}
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name}: no healthcheck"
        assert svc.get("restart") == "unless-stopped", name
        assert svc.get("read_only") is True, name
        assert any(t.startswith("/tmp") for t in svc.get("tmpfs", [])), name
        assert svc.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in svc.get("security_opt", []), name
        limits = svc["deploy"]["resources"]["limits"]
        assert limits.get("cpus") and limits.get("memory"), name
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert cond == {"condition": "service_healthy"}, f"{name} → {dep}"
        for key, value in (svc.get("environment") or {}).items():  # secrets only as files
            assert not re.search(r"(PASSWORD|TOKEN|KEY|DATABASE_URL)$", key), f"{name}: {key} is a secret in the env"
            assert "://" not in str(value) or "@" not in str(value), f"{name}: credentials in {key}"
        for volume in svc.get("volumes", []):
            if volume.startswith("./") and not volume.split(":")[1].startswith(("/var/lib", "/prometheus")):
                assert volume.endswith(":ro"), f"{name}: config mounted writable: {volume}"
    for name in BETFOLIO_SERVICES:
        svc = services[name]
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile" and svc["command"][0] == "betfolio"
        assert "database_url" in svc["secrets"]
        assert svc["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                     "redis": {"condition": "service_healthy"}}  # fmt: skip
    assert set(services["adapter"]["secrets"]) >= {"service_token"}
    assert set(services["poller"]["secrets"]) >= {"api_football_key"}
    assert compose["networks"]["backend"]["internal"] is True
    assert services["postgres"]["networks"] == ["backend"] and services["redis"]["networks"] == ["backend"]
    assert "--appendonly" in services["redis"]["command"] and "timescale" in services["postgres"]["image"]
    for svc in services.values():
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"published beyond loopback: {port}"
    assert all(spec["file"].startswith("./secrets/") for spec in compose["secrets"].values())


def test_dockerfile_is_multi_stage_non_root_without_build_tools() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.split(r"(?m)^FROM ", text)[1:]
    assert len(stages) == 2 and "AS runtime" in stages[-1].splitlines()[0]
    final = stages[-1]
    assert "build-essential" not in final and "apt-get install" not in final
    assert re.search(r"(?m)^USER 10001", final) and "COPY --from=build /opt/venv" in final
    assert '".[rl,live,postgres]"' in stages[0]  # the extras the three services import
    assert not re.search(r"(?mi)^(ARG|ENV).*(KEY|TOKEN|PASSWORD|SECRET)", text)


def test_promtool_checks_config_and_rules_and_unit_tests_the_alerts(tmp_path: Path) -> None:
    promtool = _tool("promtool")
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text().replace("/etc/prometheus/alerts.yml", "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(config)
    for args in (
        ["check", "config", str(tmp_path / "prometheus.yml")],
        ["check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
        ["test", "rules", str(DEPLOY / "prometheus" / "alerts_test.yml")],
    ):
        done = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"promtool {' '.join(args)}:\n{done.stdout}{done.stderr}"
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == {
        "BetfolioDataStale", "BetfolioCircuitOpen", "BetfolioBudgetBelowFloor", "BetfolioNoDecisions"}  # fmt: skip
    exported = metric_names()
    for rule in rules:
        assert set(METRIC.findall(rule["expr"])) <= exported, rule["alert"]


def test_every_dashboard_panel_queries_exported_metrics() -> None:
    exported = metric_names()
    dashboards = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    assert dashboards
    titles = []
    for path in dashboards:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            titles.append(panel["title"].lower())
            exprs = [t["expr"] for t in panel["targets"]]
            assert exprs, f"{path.name}: panel {panel['title']!r} has no query"
            for expr in exprs:
                names = set(METRIC.findall(expr))
                assert names, f"{path.name}: {panel['title']!r} queries no Betfolio metric: {expr}"
                assert names <= exported, f"{path.name}: {panel['title']!r} unknown metric(s) {names - exported}"
    for wanted in ("budget", "bet rate per agent", "staleness", "reward distribution", "sharpe", "latency", "provider"):
        assert any(wanted in t for t in titles), wanted
    staleness = next(p for p in board["panels"] if "staleness" in p["title"].lower())
    steps = staleness["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert any(s["value"] == 30 for s in steps)
    provisioning = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "betfolio.yml").read_text())
    mounted = _compose()["services"]["grafana"]["volumes"]
    path = provisioning["providers"][0]["options"]["path"]
    assert any(v.startswith("./grafana/dashboards:" + path) for v in mounted)


# -- the services' exact commands, natively -------------------------------------------------------------------------
@contextmanager
def _native(name: str, secrets: dict[str, str], tmp: Path, replace: dict[str, str],
            extra_env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen, dict]]:  # fmt: skip
    """Start service ``name`` with its compose command and environment; secrets as files in the same layout."""
    svc = _compose()["services"][name]
    run_secrets = tmp / name / "run" / "secrets"
    run_secrets.mkdir(parents=True)
    for secret in svc["secrets"]:
        (run_secrets / secret).write_text(secrets[secret] + "\n")

    def local(text: str) -> str:
        text = text.replace("/run/secrets/", f"{run_secrets}/")
        for old, new in replace.items():
            text = text.replace(old, new)
        return text

    command = [local(part) for part in svc["command"]]
    command[0:1] = [sys.executable, "-m", "betfolio.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BETFOLIO_")}
    env |= {k: local(str(v)) for k, v in svc["environment"].items()}
    env |= {"PYTHONPATH": os.pathsep.join(sys.path), "BETFOLIO_DATA_DIR": str(tmp / name / "data"), **(extra_env or {})}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    info = {"healthcheck": [local(p) for p in svc["healthcheck"]["test"][1:]], "env": env}
    try:
        yield proc, info
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        OUTPUTS[name] = out + err


def _healthy(proc: subprocess.Popen, check: list[str], env: dict, timeout: float = 120) -> None:
    check = [sys.executable if part == "python" else part for part in check]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        if subprocess.run(check, capture_output=True, env=env, timeout=30).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError("healthcheck never passed")


@pytest.fixture
def secrets(pg_database_url: str) -> dict[str, str]:
    return {
        # trust authentication ignores the password, so the URL can carry one the outputs must never show
        "database_url": make_url(pg_database_url).set(password=DB_PASSWORD).render_as_string(hide_password=False),
        "service_token": "compose-service-token-0123456789abcdef",
        "api_football_key": "test-key",
    }


def test_each_service_command_runs_natively_with_the_secrets_layout(
    secrets: dict[str, str], redis_client: object, trained_run: Path, tmp_path: Path
) -> None:
    from betfolio.jobs.demo.providers_stage import recorded_dir
    from betfolio.providers.standin import serve

    ports = {name: str(free_port()) for name in ("8600", "9101", "9102")}
    replace = {"redis://redis:6379/0": REDIS_URL, "/models/run": str(trained_run), "0.0.0.0": "127.0.0.1",
               **{f"{k}": v for k, v in ports.items()}}  # fmt: skip
    token = secrets["service_token"]
    with _native("trader", secrets, tmp_path, replace) as (trader, info):  # migrates the database on start
        _healthy(trader, info["healthcheck"], info["env"])
        assert "betfolio_budget_remaining" in httpx.get(f"http://127.0.0.1:{ports['9101']}/metrics").text
        with _native("adapter", secrets, tmp_path, replace) as (adapter, info):
            _healthy(adapter, info["healthcheck"], info["env"])  # /readyz: PostgreSQL and Redis reachable
            base = f"http://127.0.0.1:{ports['8600']}"
            assert httpx.get(f"{base}/v1/fixtures").status_code == 401
            page = httpx.get(f"{base}/v1/fixtures", headers={"Authorization": f"Bearer {token}"})
            assert page.status_code == 200 and isinstance(page.json(), list)  # the session database may hold rows
        folder = recorded_dir()
        assert folder is not None
        with (
            serve(folder / "api_football") as standin,
            _native(
                "poller", secrets, tmp_path, replace, {"BETFOLIO_API_FOOTBALL_BASE_URL": standin.api_football_url}
            ) as (poller, info),
        ):
            _healthy(poller, info["healthcheck"], info["env"])
            deadline = time.monotonic() + 60
            while "betfolio_polls_total{" not in (text := httpx.get(f"http://127.0.0.1:{ports['9102']}/metrics").text):
                assert time.monotonic() < deadline, "the poller never polled"
                time.sleep(0.5)
            assert 'betfolio_provider_circuit_state{provider="api-football",state="closed"} 1.0' in text
    from betfolio.store.engine import make_engine
    from betfolio.store.tables import metadata

    engine = make_engine(secrets["database_url"])
    with engine.connect() as conn:  # nor in any row the services wrote
        stored = " ".join(str(row) for table in metadata.sorted_tables for row in conn.execute(table.select()))
    engine.dispose()
    assert stored and DB_PASSWORD not in stored and "test-key" not in stored
    assert "compose-service-token-0123456789abcdef" not in stored
    for name in BETFOLIO_SERVICES:  # no secret in any output (they were given only as files)
        for secret in ("compose-service-token-0123456789abcdef", "test-key", DB_PASSWORD):
            assert secret not in OUTPUTS[name], f"{name} printed a secret"


def test_real_prometheus_scrapes_a_live_paper_trader(season_db: Path, redis_client: object, trained_run: Path,
                                                     tmp_path: Path) -> None:  # fmt: skip
    prometheus = _tool("prometheus")
    store = tmp_path / "store.sqlite"
    store.write_bytes(season_db.read_bytes())
    url = f"sqlite:///{store}"
    from betfolio.store.engine import make_engine

    engine = make_engine(url)
    publish(redis_client, match_states(link_matches(engine, 5))[: 5 * 30])
    engine.dispose()
    metrics_port, prom_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    trader = subprocess.Popen(
        [sys.executable, "-m", "betfolio.cli", "paper", "--redis", REDIS_URL, "--db", url, "--run", str(trained_run),
         "--provider", "feed", "--duration", "300", "--metrics-port", str(metrics_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "trader", "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}],
    }))  # fmt: skip
    server = subprocess.Popen(
        [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180

        def query(promql: str) -> float | None:
            try:
                reply = httpx.get(f"http://127.0.0.1:{prom_port}/api/v1/query", params={"query": promql}).json()
            except httpx.HTTPError:
                return None
            result = reply.get("data", {}).get("result", [])
            return float(result[0]["value"][1]) if result else None

        read = decisions = None
        while time.monotonic() < deadline and (read, decisions) != (150.0, 150.0):
            time.sleep(1.0)
            assert server.poll() is None, server.communicate()[1][-2000:]
            read = query('betfolio_states_read_total{job="trader"}')
            decisions = query('sum(betfolio_decisions_total{job="trader"})')
        assert (read, decisions) == (150.0, 150.0), "Prometheus never read the trader's counters"
        assert query('betfolio_budget_remaining{job="trader"}') is not None
    finally:
        for proc in (trader, server):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
