"""A search space from a TOML file, as Ray Tune sampling domains.

    # betfolio tune --agent live --space space.toml
    learning_rate = { loguniform = [1e-4, 3e-3] }
    gae_lambda    = { uniform = [0.9, 1.0] }
    update_epochs = { randint = [2, 6] }        # low inclusive, high exclusive (as Ray Tune's randint)
    no_bet_bias   = { choice = [1.0, 2.0, 3.0] }
    ent_coef      = 0.01                          # a plain number is fixed

Keys are the hyperparameters of the agent's section in :mod:`betfolio.agents.hyperparams`, so whatever the sweep
finds can be written to the file `betfolio train --config` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from betfolio.agents.hyperparams import SECTIONS
from betfolio.config import parse_toml

#: Agent of `betfolio tune --agent` → section of the hyperparameter file.
AGENT_SECTIONS = {"live": "live", "prematch": "prematch_q"}
DOMAINS = ("uniform", "loguniform", "randint", "choice")


def _domain(kind: str, args: list[Any], key: str, where: str) -> Any:
    from ray import tune

    if kind == "choice":
        if not args:
            raise ValueError(f"{where}: {key}: choice needs at least one value")
        return tune.choice(args)
    if len(args) != 2 or not all(isinstance(a, int | float) and not isinstance(a, bool) for a in args):
        raise ValueError(f"{where}: {key}: {kind} needs [low, high] numbers")
    low, high = args
    if not low < high:
        raise ValueError(f"{where}: {key}: {kind} needs low < high, got [{low}, {high}]")
    if kind == "loguniform":
        if low <= 0:
            raise ValueError(f"{where}: {key}: loguniform needs a positive low bound")
        return tune.loguniform(low, high)
    if kind == "randint":
        return tune.randint(int(low), int(high))
    return tune.uniform(low, high)


def parse_space(text: str, agent: str, where: str = "space") -> dict[str, Any]:
    """Ray Tune's ``param_space`` for ``agent`` (live or prematch); ValueError naming ``where`` and the key."""
    if agent not in AGENT_SECTIONS:
        raise ValueError(f"unknown agent {agent!r} (live or prematch)")
    raw = parse_toml(text, where)
    known = SECTIONS[AGENT_SECTIONS[agent]]
    if not raw:
        raise ValueError(f"{where}: the search space is empty (keys: {', '.join(known)})")
    space: dict[str, Any] = {}
    for key, spec in raw.items():
        if key not in known:
            raise ValueError(
                f"{where}: {key} is not a hyperparameter of the {agent} worker (known: {', '.join(known)})"
            )
        if isinstance(spec, bool) or not isinstance(spec, int | float | dict):
            raise ValueError(f"{where}: {key} must be a number or one of {{{', '.join(DOMAINS)} = …}}")
        if isinstance(spec, dict):
            if len(spec) != 1 or next(iter(spec)) not in DOMAINS:
                raise ValueError(f"{where}: {key} must be one of {{{', '.join(DOMAINS)} = …}}, got {spec}")
            kind, args = next(iter(spec.items()))
            space[key] = _domain(kind, args if isinstance(args, list) else [args], key, where)
        else:
            space[key] = spec
    return space


def load_space(path: Path, agent: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"--space {path}: {exc.strerror or exc}") from exc
    return parse_space(text, agent, where=f"--space {path}")
