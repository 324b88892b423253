"""How a live observation vector splits into attention tokens and context.

The simulator's live observation is ``[values(F), mask(F), staleness/300, …extras]``. The first ``2F`` entries
become ``F`` feature tokens whose presence mask is the attention key-padding mask; everything after them
(staleness, the agent's own book…) is *context* that is always present and drives the attention query.
A few features (minute, score) are also copied into the query input, value and mask, so the question the
attention asks can depend on the game state — in the 85th minute of a 1-1 it may look for defensive statistics.
Keeping this in one small dataclass lets the network and its checkpoints agree on the layout and refuse an
observation built for another feature set.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

#: Version of the live observation's meaning. Bumped when what the entries mean changes even if names could stay
#: (2: the worker's recent win rate and record size joined the context; the untrained policy now abstains).
LIVE_LAYOUT_VERSION = 2


@dataclass(frozen=True, slots=True)
class TokenLayout:
    feature_names: tuple[str, ...]
    context_names: tuple[str, ...]
    query_features: tuple[str, ...] = ()
    version: int = 1

    def __post_init__(self) -> None:
        if not self.feature_names:
            raise ValueError("a live observation needs at least one feature token")
        if len(set(self.feature_names)) != len(self.feature_names):
            raise ValueError("feature names must be unique")
        unknown = [name for name in self.query_features if name not in self.feature_names]
        if unknown:
            raise ValueError(f"query features {unknown} are not among the feature tokens")

    @property
    def query_index(self) -> tuple[int, ...]:
        return tuple(self.feature_names.index(name) for name in self.query_features)

    @property
    def query_dim(self) -> int:
        """Inputs of the query network: the context plus value and mask of each query feature."""
        return self.n_context + 2 * len(self.query_features)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_context(self) -> int:
        return len(self.context_names)

    @property
    def obs_dim(self) -> int:
        return 2 * self.n_features + self.n_context

    def feature_hash(self) -> str:
        """Identifies the feature set: a checkpoint trained on another one must not be loaded silently."""
        content = {"features": self.feature_names, "context": self.context_names, "query": self.query_features}
        if self.version != 1:  # version 1 predates the field: its hashes stay what they were
            content["version"] = self.version
        payload = json.dumps(content)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, list[str] | int]:
        return {
            "feature_names": list(self.feature_names),
            "context_names": list(self.context_names),
            "query_features": list(self.query_features),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenLayout:
        return cls(
            tuple(data["feature_names"]),
            tuple(data["context_names"]),
            tuple(data.get("query_features", ())),
            int(data.get("version", 1)),
        )

    def difference(self, other: TokenLayout) -> str:
        """What separates two layouts, in words (for the error when a checkpoint does not fit)."""
        parts = []
        if self.version != other.version:
            parts.append(f"layout version {self.version} vs {other.version}")
        for name, mine, theirs in (
            ("features", self.feature_names, other.feature_names),
            ("context", self.context_names, other.context_names),
        ):
            extra, missing = set(mine) - set(theirs), set(theirs) - set(mine)
            if extra:
                parts.append(f"{name} only in the first: {', '.join(sorted(extra))}")
            if missing:
                parts.append(f"{name} only in the second: {', '.join(sorted(missing))}")
            if not extra and not missing and mine != theirs:
                parts.append(f"{name} in another order")
        return "; ".join(parts) or "query features differ"

    @classmethod
    def generic(cls, n_features: int, n_context: int) -> TokenLayout:
        """Anonymous layout for environments that only give sizes (tests, synthetic environments)."""
        return cls(tuple(f"f{i}" for i in range(n_features)), tuple(f"c{i}" for i in range(n_context)))


def live_layout() -> TokenLayout:
    """The simulator's live observation as tokens: every live feature is a token; staleness and the agent's book
    are context; every feature also feeds the context (and so the attention query) directly."""
    from betfolio.features.live import observation_layout

    layout = observation_layout()
    if (
        layout.values.start != 0
        or layout.mask.start != layout.values.stop
        or layout.staleness.start != layout.mask.stop
    ):
        raise ValueError("the simulator's observation layout is not [values, mask, staleness, extras]")
    return TokenLayout(
        feature_names=tuple(layout.features),
        context_names=("staleness", *layout.extras),
        # Every feature also reaches the context network directly, not only through attention pooling: the
        # prices the worker bets at and the statistics that may disagree with them must not be diluted among 30
        # tokens before the policy sees them.
        query_features=tuple(layout.features),
        version=LIVE_LAYOUT_VERSION,
    )
