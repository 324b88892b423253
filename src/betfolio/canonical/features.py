"""Feature vectors that never confuse "0.0" with "unknown".

Every vector travels with a presence mask (1 = present, 0 = missing). Values of missing features are set to
0 *only* in the value array handed to a network, and always alongside the mask, which the models consume
(concatenated, or as an attention key-padding mask). Nothing here uses sentinels such as -1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: Staleness enters features normalised by five minutes, as the mission prescribes.
STALENESS_SCALE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class FeatureVector:
    names: tuple[str, ...]
    values: np.ndarray  # float32, missing entries are 0.0
    mask: np.ndarray  # float32, 1.0 present / 0.0 missing

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.names),) or self.mask.shape != (len(self.names),):
            raise ValueError("names, values and mask must have the same length")
        if not np.all(np.isfinite(self.values)):
            raise ValueError("feature values must be finite (missing values belong in the mask)")

    @classmethod
    def from_mapping(cls, names: Sequence[str], data: Mapping[str, float | None]) -> FeatureVector:
        """Build from a mapping where absent keys, None and NaN all mean "missing" — and 0.0 means zero."""
        values = np.zeros(len(names), dtype=np.float32)
        mask = np.zeros(len(names), dtype=np.float32)
        for i, name in enumerate(names):
            raw = data.get(name)
            if raw is None:
                continue
            number = float(raw)
            if math.isnan(number):
                continue
            if math.isinf(number):
                raise ValueError(f"feature {name!r} is infinite")
            values[i] = number
            mask[i] = 1.0
        return cls(tuple(names), values, mask)

    def get(self, name: str) -> float | None:
        """The value, or None when it is missing (never a silent 0.0)."""
        i = self.names.index(name)
        return float(self.values[i]) if self.mask[i] else None

    def as_model_input(self) -> np.ndarray:
        """Values followed by the mask: the layout the networks expect when concatenating."""
        return np.concatenate([self.values, self.mask])

    @property
    def coverage_ratio(self) -> float:
        return float(self.mask.mean()) if len(self.names) else 0.0


def normalised_staleness(staleness_seconds: float) -> float:
    if staleness_seconds < 0 or not math.isfinite(staleness_seconds):
        raise ValueError(f"staleness must be a finite non-negative number of seconds, got {staleness_seconds}")
    return staleness_seconds / STALENESS_SCALE_SECONDS
