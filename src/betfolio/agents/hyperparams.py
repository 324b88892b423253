"""Agent hyperparameters from a TOML file: what `betfolio tune` writes and `betfolio train --config FILE` reads.

    [live]            # the live worker's PPO (PPOConfig fields) and its network's no-bet bias
    learning_rate = 0.0007
    gae_lambda = 0.98
    no_bet_bias = 2.0

    [prematch_q]      # the tabular-Q pre-match worker (QConfig fields)
    min_learning_rate = 0.002
    epsilon_end = 0.02

Every key overrides one default; a key that is not a hyperparameter of its section is an error naming the file
and the key (a misspelt key silently ignored would train with the default while the user believes otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from betfolio.config import parse_toml

if TYPE_CHECKING:
    from betfolio.agents.live.ppo import PPOConfig
    from betfolio.agents.prematch.tabular import QConfig

#: Tunable keys per section (seeds, thread counts and layout-derived sizes are not hyperparameters).
LIVE_KEYS = (
    "learning_rate",
    "gamma",
    "gae_lambda",
    "num_minibatches",
    "update_epochs",
    "clip_coef",
    "ent_coef",
    "vf_coef",
    "max_grad_norm",
    "reward_clip",
    "no_bet_bias",
)
PREMATCH_Q_KEYS = ("gamma", "epsilon_start", "epsilon_end", "epsilon_decay_episodes", "min_learning_rate", "min_visits")
SECTIONS = {"live": LIVE_KEYS, "prematch_q": PREMATCH_Q_KEYS}


@dataclass(frozen=True)
class Hyperparameters:
    """Overrides of the agents' defaults, per section; empty means every default."""

    live: dict[str, Any] = field(default_factory=dict)
    prematch_q: dict[str, Any] = field(default_factory=dict)

    def live_ppo(self, base: PPOConfig) -> PPOConfig:
        """``base`` with the [live] overrides (``no_bet_bias`` goes to the network)."""
        overrides = dict(self.live)
        bias = overrides.pop("no_bet_bias", None)
        ppo = replace(base, **{k: _like(getattr(base, k), v) for k, v in overrides.items()})
        if bias is not None:
            ppo = replace(ppo, network=replace(ppo.network, no_bet_bias=float(bias)))
        return ppo

    def q_config(self, base: QConfig) -> QConfig:
        """``base`` with the [prematch_q] overrides."""
        return replace(base, **{k: _like(getattr(base, k), v) for k, v in self.prematch_q.items()})

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: dict(getattr(self, name)) for name in SECTIONS if getattr(self, name)}


def _like(default: Any, value: Any) -> Any:
    """``value`` with the default's type (TOML and Tune may give an int where a float is meant, or vice versa)."""
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, int):
        return round(value)
    if isinstance(default, float):
        return float(value)
    return value


def check_section(section: str, values: dict[str, Any], where: str) -> dict[str, Any]:
    """``values`` if every key is a known hyperparameter of ``section`` with a number; ValueError otherwise."""
    if section not in SECTIONS:
        raise ValueError(f"{where}: unknown section [{section}] (known: {', '.join(SECTIONS)})")
    for key, value in values.items():
        if key not in SECTIONS[section]:
            raise ValueError(
                f"{where}: [{section}] {key} is not a hyperparameter (known: {', '.join(SECTIONS[section])})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: [{section}] {key} must be a number, got {value!r}")
    return dict(values)


def load_hyperparameters(path: Path) -> Hyperparameters:
    """The file at ``path``; ValueError naming the file (and section and key) when it cannot be used."""
    where = f"--config {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{where}: {exc.strerror or exc}") from exc
    raw = parse_toml(text, where)
    sections: dict[str, dict[str, Any]] = {}
    for name, values in raw.items():
        if not isinstance(values, dict):
            raise ValueError(f"{where}: {name} must be a [section] of hyperparameters")
        sections[name] = check_section(name, values, where)
    return Hyperparameters(**sections)


def dump_hyperparameters(hp: Hyperparameters, header: str = "") -> str:
    """TOML text of ``hp`` (numbers only), with ``header`` as comment lines at the top."""
    lines = [f"# {line}" for line in header.splitlines()]
    for name, values in hp.as_dict().items():
        lines += ["", f"[{name}]"]
        lines += [f"{key} = {_toml_number(values[key])}" for key in sorted(values)]
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_number(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)  # shortest round-tripping form, always with a '.' or an exponent
    return str(int(value))
