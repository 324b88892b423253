"""The pre-match DQN's Q-network: an ensemble of small MLPs with "no bet" anchored at 0 and stake-shared bets.

Why not SB3's plain ``QNetwork``: with ``gamma = 0`` the value of a 1 % bet on an ordinary match is about −0.05 % of
the bankroll, far inside a single network's approximation error, so the argmax over nine free bet outputs
nearly always finds one "above" no bet and the worker bet on every match. Three structural changes, the
tabular worker's remedies in network form, make the planted edge learnable:

* **No bet is exactly 0** (``learn_no_bet=False``): with ``gamma = 0`` its reward is 0 and so is its value — not
  an estimate whose error a bet can hide behind. With ``gamma > 0`` it is a learned output like the bets.
* **Stake sharing** (``stakes``): when the reward is proportional to the stake (the profit), the network predicts
  one value per *selection* per unit of the largest stake, and a bet of stake ``s`` is worth ``s / max(stakes)``
  of it — every bet teaches every stake size of its selection, as in the tabular worker.
* **An ensemble** of ``heads`` independent MLPs (each trained on its own bootstrap share of the replay buffer by
  :class:`~betfolio.agents.prematch.dqn.EnsembleDQN`): their spread is the uncertainty of the estimate. Acting
  ranks bets by the lower bound ``mean − confidence × spread`` (a bet must show evidence to displace no bet);
  exploring ranks them by the upper bound (samples go where a bet could still turn out best).

Inputs are centred and scaled once on the warm-up samples (:meth:`fit_inputs`; buffers, so they are saved with
the weights): the planted edge is a 0.13 difference in a price-against-consensus feature, invisible to freshly
initialised weights on raw inputs.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.dqn.policies import DQNPolicy
from torch import nn

#: Scaled inputs are clipped here; a feature whose warm-up half-range is below ``_MIN_SCALE`` is only shifted.
_CLIP = 3.0
_MIN_SCALE = 1e-2


class EnsembleMLP(nn.Module):
    """``heads`` independent MLPs evaluated together: one batched matrix product per layer instead of a Python loop
    over heads (the networks are small, so the loop's overhead would be most of the CPU time)."""

    def __init__(
        self, inputs: int, hidden: list[int], outputs: int, heads: int, activation_fn: type[nn.Module] = nn.ReLU
    ) -> None:
        super().__init__()
        sizes = [inputs, *hidden, outputs]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = 1.0 / np.sqrt(fan_in)  # nn.Linear's default initialisation, per head
            self.weights.append(nn.Parameter(torch.empty(heads, fan_in, fan_out).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(heads, 1, fan_out).uniform_(-bound, bound)))
        self.activation = activation_fn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[batch, inputs]`` → ``[batch, heads, outputs]``."""
        h = x.unsqueeze(0).expand(self.weights[0].shape[0], -1, -1)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = self.activation(h)
        return h.transpose(0, 1)


class EnsembleQNetwork(BasePolicy):
    """Q-values of every action per ensemble head; ``forward`` gives their mean (SB3's ``QNetwork`` contract)."""

    action_space: spaces.Discrete

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        features_extractor: BaseFeaturesExtractor,
        features_dim: int,
        net_arch: list[int] | None = None,
        activation_fn: type[nn.Module] = nn.ReLU,
        normalize_images: bool = True,
        heads: int = 5,
        stakes: tuple[float, ...] = (),
        learn_no_bet: bool = False,
        confidence: float = 1.0,
    ) -> None:
        super().__init__(
            observation_space, action_space, features_extractor=features_extractor, normalize_images=normalize_images
        )
        n_bets = int(action_space.n) - 1
        if stakes and n_bets % len(stakes):
            raise ValueError(f"{n_bets} bet actions cannot be split into {len(stakes)} stake sizes per selection")
        if heads < 2:
            raise ValueError("an ensemble needs at least 2 heads for a spread")
        self.net_arch = list(net_arch or [64, 64])
        self.activation_fn = activation_fn
        self.features_dim = features_dim
        self.stakes = tuple(stakes)
        self.learn_no_bet = learn_no_bet
        self.confidence = confidence
        outputs = (n_bets // len(stakes) if stakes else n_bets) + int(learn_no_bet)
        self.heads = heads
        self.mlp = EnsembleMLP(features_dim, self.net_arch, outputs, heads, activation_fn)
        self.register_buffer("input_shift", torch.zeros(features_dim))
        self.register_buffer("input_scale", torch.ones(features_dim))
        # per action: 1 for no bet, the bet's stake / largest stake (1 for every bet without stake sharing)
        weights = np.ones(1 + n_bets, np.float32)
        if stakes:
            weights[1:] = np.tile(np.asarray(stakes, np.float32) / max(stakes), n_bets // len(stakes))
        self.register_buffer("action_weight", torch.as_tensor(weights))

    def fit_inputs(self, observations: np.ndarray) -> None:
        """Centre inputs on the mean of ``observations`` (rows of raw observations) and scale them by half their
        range. Not by their standard deviation: a flag that is almost always 1 (``has_history`` while exploring)
        would put its rare 0 — the normal state of a worker that abstains at evaluation — ten deviations out."""
        x = torch.as_tensor(np.asarray(observations, np.float32).reshape(len(observations), -1))
        self.input_shift.copy_(x.mean(0))
        half_range = (x.max(0).values - x.min(0).values) / 2
        self.input_scale.copy_(torch.where(half_range < _MIN_SCALE, torch.ones_like(half_range), half_range))

    def head_values(self, obs: Any, noise: float = 0.0) -> torch.Tensor:
        """``[batch, heads, actions]``: every head's Q-values, no bet first (0 unless learned). ``noise``: standard
        deviation of Gaussian noise added to the scaled inputs (training only)."""
        x = self.extract_features(obs, self.features_extractor)
        x = ((x - self.input_shift) / self.input_scale).clamp(-_CLIP, _CLIP)
        if noise > 0:
            x = x + noise * torch.randn_like(x)
        out = self.mlp(x)
        no_bet = out[..., :1] if self.learn_no_bet else out.new_zeros((*out.shape[:2], 1))
        bets = out[..., int(self.learn_no_bet) :]
        if self.stakes:  # selection-major actions: 1 + selection × len(stakes) + size
            bets = torch.repeat_interleave(bets, len(self.stakes), dim=-1)
        return torch.cat([no_bet, bets], dim=-1) * self.action_weight

    def forward(self, obs: Any) -> torch.Tensor:
        return self.head_values(obs).mean(dim=1)

    def bound(self, obs: Any, sign: float) -> torch.Tensor:
        """``[batch, actions]``: mean + sign × confidence × spread across heads (upper bound for +1, lower for −1);
        no bet is its mean (exactly 0 unless learned)."""
        values = self.head_values(obs)
        mean, spread = values.mean(dim=1), values.std(dim=1)
        out = mean + sign * self.confidence * spread
        return torch.cat([mean[:, :1], out[:, 1:]], dim=-1)

    def _predict(self, observation: Any, deterministic: bool = True) -> torch.Tensor:
        """SB3 asks with ``deterministic=False`` while collecting experience: explore the upper bound then."""
        return self.bound(observation, -1.0 if deterministic else 1.0).argmax(dim=1).reshape(-1)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return super()._get_constructor_parameters() | {
            "net_arch": self.net_arch,
            "features_dim": self.features_dim,
            "activation_fn": self.activation_fn,
            "features_extractor": self.features_extractor,
            "heads": self.heads,
            "stakes": self.stakes,
            "learn_no_bet": self.learn_no_bet,
            "confidence": self.confidence,
        }


class EnsembleDQNPolicy(DQNPolicy):
    """SB3's DQN policy with :class:`EnsembleQNetwork` as its online and target network."""

    q_net: EnsembleQNetwork  # type: ignore[assignment]
    q_net_target: EnsembleQNetwork  # type: ignore[assignment]

    def __init__(
        self,
        *args: Any,
        heads: int = 5,
        stakes: tuple[float, ...] = (),
        learn_no_bet: bool = False,
        confidence: float = 1.0,
        **kwargs: Any,
    ) -> None:
        # read by make_q_net, which the parent's constructor calls
        self._ensemble = {
            "heads": heads,
            "stakes": tuple(stakes),
            "learn_no_bet": learn_no_bet,
            "confidence": confidence,
        }
        super().__init__(*args, **kwargs)

    def make_q_net(self) -> EnsembleQNetwork:  # type: ignore[override]
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return EnsembleQNetwork(**net_args, **self._ensemble).to(self.device)
