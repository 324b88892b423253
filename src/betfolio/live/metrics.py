"""Every Prometheus metric the long-running processes (``live``, ``paper``, ``serve``) export, in one place.

One module so the Grafana dashboards and alert rules have a single list to be checked against (a test reads
every panel query and every rule and asserts each metric name it uses is defined here). Names follow the
Prometheus conventions: ``betfolio_`` prefix, ``_total`` for counters, base units (``_seconds``).

Labels carry only closed vocabularies — agent names, provider names, skip reasons, error kinds, route
templates — never a URL, a token, an API key or anything a request supplied verbatim.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)

#: Latency buckets from 0.5 ms to 5 s: decisions are milliseconds, HTTP reads sub-millisecond to seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: Reward buckets around zero: the mission reward is a risk-adjusted ROI, guarded to a few units either way.
REWARD_BUCKETS = (-5.0, -2.0, -1.0, -0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)

# -- the four the mission names ---------------------------------------------------------------------------------
BETS_PLACED = Counter("betfolio_bets_placed_total", "Bets placed, per agent.", ["agent"], registry=REGISTRY)
REWARD = Histogram(
    "betfolio_reward", "Reward of each settled bet (mission reward), per agent.", ["agent"],
    buckets=REWARD_BUCKETS, registry=REGISTRY,
)  # fmt: skip
BUDGET_REMAINING = Gauge(
    "betfolio_budget_remaining", "Portfolio equity (cash + open stakes), currency units.", ["run"], registry=REGISTRY
)
BUDGET_FLOOR = Gauge(
    "betfolio_budget_floor", "Equity below which the portfolio alerts (initial budget × floor).", ["run"],
    registry=REGISTRY,
)  # fmt: skip
DATA_STALENESS = Gauge(
    "betfolio_data_staleness_seconds", "Seconds since the provider's data was fresh (latest state seen).",
    ["provider"], registry=REGISTRY,
)  # fmt: skip

# -- provider health --------------------------------------------------------------------------------------------
CIRCUIT_STATE = Enum(
    "betfolio_provider_circuit_state", "Circuit breaker state per provider.", ["provider"],
    states=["closed", "open", "half_open"], registry=REGISTRY,
)  # fmt: skip
QUOTA_REMAINING = Gauge(
    "betfolio_provider_quota_remaining", "Requests left in the provider's quota window.", ["provider", "window"],
    registry=REGISTRY,
)  # fmt: skip
STATES_PUBLISHED = Counter(
    "betfolio_states_published_total", "Live states published to the stream.", ["provider"], registry=REGISTRY
)
POLLS = Counter("betfolio_polls_total", "Provider polls, by outcome (fresh/stale/failed).", ["provider", "outcome"],
                registry=REGISTRY)  # fmt: skip

# -- the trader ---------------------------------------------------------------------------------------------------
STATES_READ = Counter("betfolio_states_read_total", "Live states read from the stream.", registry=REGISTRY)
DECISIONS = Counter("betfolio_decisions_total", "Decisions taken (bet or not), per agent.", ["agent"],
                    registry=REGISTRY)  # fmt: skip
DECISION_LATENCY = Histogram(
    "betfolio_decision_latency_seconds", "From state read to decision recorded.", buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)  # fmt: skip
SKIPPED = Counter("betfolio_skipped_total", "States or orders not acted on, by reason.", ["reason"], registry=REGISTRY)
STREAM_LAG = Gauge(
    "betfolio_stream_lag_seconds", "Age of the newest stream entry read (publish → read).", registry=REGISTRY
)
LIVE_MATCHES = Gauge("betfolio_live_matches", "Matches currently in play in the stream.", registry=REGISTRY)
BETS_SETTLED = Counter("betfolio_bets_settled_total", "Bets settled, per agent and outcome.", ["agent", "outcome"],
                       registry=REGISTRY)  # fmt: skip
OPEN_BETS = Gauge("betfolio_open_bets", "Bets placed and not yet settled.", ["run"], registry=REGISTRY)

# -- everywhere --------------------------------------------------------------------------------------------------
ERRORS = Counter("betfolio_errors_total", "Errors by kind.", ["kind"], registry=REGISTRY)

# -- the adapter service -----------------------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "betfolio_http_requests_total", "Requests served, by route template and status code.", ["route", "status"],
    registry=REGISTRY,
)  # fmt: skip
HTTP_LATENCY = Histogram(
    "betfolio_http_request_duration_seconds", "Request handling time, by route template.", ["route"],
    buckets=LATENCY_BUCKETS, registry=REGISTRY,
)  # fmt: skip


def metric_names() -> set[str]:
    """Every series name this process can export (with the ``_bucket``/``_sum``/``_count`` of histograms)."""
    names: set[str] = set()
    for metric in REGISTRY.collect():
        names.add(metric.name)
        for sample in metric.samples:
            names.add(sample.name)
        if metric.type == "counter":
            names.add(metric.name + "_total")
        if metric.type == "histogram":
            names.update(metric.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose ``/metrics`` on ``addr:port`` from a daemon thread (0 = do not serve)."""
    if port:
        start_http_server(port, addr=addr, registry=REGISTRY)
