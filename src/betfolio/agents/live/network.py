"""The live worker's network: per-minute feature-token attention with the presence mask, an LSTM, two heads.

Why this shape (MISSION.md §4): each minute is a set of feature tokens (shots, xG, dangerous attacks…), some
of them missing for a league without that coverage. Missing is not zero, so a missing feature is *removed* from
attention through the key-padding mask instead of being fed as 0. A learned always-present token guarantees
at least one valid key, so a minute where every feature is missing still gives a finite softmax (an all-masked
softmax is NaN). The attention query comes from the always-present context (minute, score, odds, staleness):
in the 85th minute of a 1-1 the query can look for different statistics than at kick-off. An LSTM over the
pooled minutes carries momentum (the pressure of the last minutes); actor and critic heads read its output.

Hand-written rather than ``nn.MultiheadAttention`` because the query is a single pooled vector per minute and a
token is affine in its one scalar value, so keys and values never need to be materialised per token (see
:meth:`MaskedAttentionLSTM.encode`); that makes it several times faster on CPU than the general module, and the
rollout calls it once per simulated minute.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from betfolio.agents.live.layout import TokenLayout

#: Logit given to invalid actions. Large and finite: -inf would turn log-probabilities of masked actions into
#: NaN when multiplied by a zero probability in the entropy.
MASKED_LOGIT = -1e8


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    token_dim: int = 16
    heads: int = 2
    context_dim: int = 32
    #: 32, not 64: on the planted live edge the smaller LSTM learns as well or better (mean capture 0.93 against
    #: 0.83 over five seeds, no control bet at either) and a PPO update costs a quarter less (docs/agents.md).
    hidden: int = 32
    n_actions: int = 4
    #: Initial logit advantage of action 0 (no bet): an untrained policy should mostly stay out of the market
    #: rather than bet on whatever is allowed; training has to earn every bet. 2.5 against the simulator's five bet
    #: actions is P(bet) ≈ 29 % per minute (:func:`initial_bet_probability`); the greedy untrained policy never bets.
    #: At 1.0 the untrained policy bet in 65 % of minutes, every match hit the exposure cap in its first three
    #: minutes and no decision later in the match was ever explored. At 4.5 (P(bet) ≈ 5 %) the policy sampled
    #: too few bets where the edge was to tell them from the rest before betting had been unlearned everywhere:
    #: on the planted live edge two seeds of five never bet (mean capture 0.44 against 0.83 at 2.5; docs/agents.md).
    no_bet_bias: float = 2.5

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def initial_bet_probability(config: NetworkConfig) -> float:
    """P(any bet) of the untrained policy in a minute where every action is allowed (the actor starts at ~0
    logits except the no-bet bias)."""
    bets = config.n_actions - 1
    return bets / (bets + math.exp(config.no_bet_bias))


def symlog(x: torch.Tensor) -> torch.Tensor:
    """Scale-free squashing: features range from 0/1 flags to shot counts and odds of 30; no running statistics
    to store, and the sign and zero are preserved (a present 0.0 stays distinguishable from missing by the
    mask)."""
    return torch.sign(x) * torch.log1p(torch.abs(x))


def _layer(i: int, o: int, std: float = math.sqrt(2)) -> nn.Linear:
    layer = nn.Linear(i, o)
    nn.init.orthogonal_(layer.weight, std)
    nn.init.zeros_(layer.bias)
    return layer


class MaskedAttentionLSTM(nn.Module):
    """Observation ``[values(F), mask(F), context(C)]`` → action logits and state value, with recurrent state."""

    def __init__(self, layout: TokenLayout, config: NetworkConfig) -> None:
        super().__init__()
        if config.token_dim % config.heads:
            raise ValueError("token_dim must be divisible by heads")
        self.layout = layout
        self.config = config
        f, d = layout.n_features, config.token_dim
        # Token i = symlog(value_i) * scale_i + identity_i: the feature's identity lives in the token itself.
        self.token_scale = nn.Parameter(torch.randn(f, d) * 0.5)
        self.token_id = nn.Parameter(torch.randn(f, d) * 0.5)
        self.null_token = nn.Parameter(torch.zeros(1, d))  # the always-present key
        self.register_buffer("query_index", torch.tensor(layout.query_index, dtype=torch.long), persistent=False)
        self.context = nn.Sequential(_layer(max(layout.query_dim, 1), config.context_dim), nn.Tanh())
        self.query = _layer(config.context_dim, d, 1.0)
        self.key = nn.Linear(d, d, bias=False)
        self.value = nn.Linear(d, d, bias=False)
        self.lstm = nn.LSTM(d + config.context_dim, config.hidden)
        for name, param in self.lstm.named_parameters():
            if "bias" in name:
                nn.init.constant_(param, 0)
            elif "weight" in name:
                nn.init.orthogonal_(param, 1.0)
        self.actor = _layer(config.hidden, config.n_actions, 0.01)
        with torch.no_grad():
            self.actor.bias[0] = config.no_bet_bias
        self.critic = _layer(config.hidden, 1, 1.0)

    # -- encoding -------------------------------------------------------------------------------------------
    def split(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f = self.layout.n_features
        if obs.shape[-1] != self.layout.obs_dim:
            raise ValueError(
                f"observation has {obs.shape[-1]} entries, the network expects {self.layout.obs_dim} "
                f"({f} values + {f} mask + {self.layout.n_context} context)"
            )
        values, mask, context = obs[..., :f], obs[..., f : 2 * f], obs[..., 2 * f :]
        present = mask > 0.5
        if len(self.layout.query_features):
            idx = self.query_index
            context = torch.cat([context, values[..., idx], mask[..., idx]], dim=-1)
        if context.shape[-1] == 0:
            context = torch.zeros(*obs.shape[:-1], 1, dtype=obs.dtype, device=obs.device)
        return values, present, context

    def inputs(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The parameter-free part of encoding: ``symlog(values)``, the additive attention mask (0 present,
        −inf missing) and ``symlog(context)``. A PPO update computes it once for the whole rollout instead of
        once per minibatch and epoch (the observations do not change between epochs)."""
        values, present, context = self.split(obs)
        missing = torch.zeros_like(values).masked_fill_(~present, float("-inf"))
        return symlog(values), missing, symlog(context)

    def encode(self, obs: torch.Tensor, *, return_attention: bool = False) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """``obs[B, D]`` → LSTM input ``[B, token_dim + context_dim]`` (optionally with attention weights)."""
        return self.encode_inputs(*self.inputs(obs), return_attention=return_attention)

    def encode_inputs(
        self, s: torch.Tensor, missing: torch.Tensor, context: torch.Tensor, *, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """:meth:`encode` from :meth:`inputs` (each ``[B, …]``).

        A token is affine in its scalar value (``s * scale_f + id_f``), so its key and value are too:
        ``key_f = s * (scale_f Wk) + id_f Wk``. The per-feature projections are computed once per call and the
        attention runs as ``[B, heads, F]`` matmuls — mathematically the same as projecting ``[B, F, d]`` token
        tensors, without materialising them (the dominant cost of a training update otherwise).
        """
        batch = s.shape[0]
        h, d = self.config.heads, self.config.token_dim
        e = d // h
        f = self.layout.n_features
        wk, wv = self.key.weight.T, self.value.weight.T
        k_scale, k_id = (self.token_scale @ wk).view(f, h, e), (self.token_id @ wk).view(f, h, e)
        v_scale, v_id = (self.token_scale @ wv).view(f, h, e), (self.token_id @ wv).view(f, h, e)
        k_null, v_null = (self.null_token @ wk).view(h, e), (self.null_token @ wv).view(h, e)
        ctx = self.context(context)
        q = self.query(ctx).view(batch, h, e)
        s_h = s.unsqueeze(1)  # [B, 1, F]
        feat_scores = s_h * torch.einsum("bhe,fhe->bhf", q, k_scale) + torch.einsum("bhe,fhe->bhf", q, k_id)
        feat_scores = feat_scores + missing.unsqueeze(1)  # missing: −inf, not attended
        null_score = torch.einsum("bhe,he->bh", q, k_null).unsqueeze(-1)
        weights = torch.softmax(torch.cat([null_score, feat_scores], dim=-1) / math.sqrt(e), dim=-1)  # [B, h, 1+F]
        w_null, w_feat = weights[..., :1], weights[..., 1:]
        pooled = (
            w_null * v_null
            + torch.einsum("bhf,fhe->bhe", w_feat * s_h, v_scale)
            + torch.einsum("bhf,fhe->bhe", w_feat, v_id)
        ).reshape(batch, d)
        out = torch.cat([pooled, ctx], dim=-1)
        if return_attention:
            return out, weights
        return out

    # -- recurrent passes ----------------------------------------------------------------------------------
    def initial_state(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = torch.zeros(1, batch, self.config.hidden)
        return zeros, zeros.clone()

    def step(
        self, obs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One minute for a batch of matches: ``obs[B, D]`` → logits ``[B, A]``, value ``[B]``, new state."""
        x = self.encode(obs)
        out, state = self.lstm(x.unsqueeze(0), state)
        hidden = out.squeeze(0)
        return self.actor(hidden), self.critic(hidden).squeeze(-1), state

    def sequence(
        self, obs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Whole sequences at once: ``obs[L, S, D]`` → logits ``[L, S, A]``, values ``[L, S]``.

        One fused LSTM call over the whole match instead of a Python loop over minutes; padding after a
        sequence's end cannot influence earlier outputs (the LSTM is causal), so it is only masked in the loss.
        """
        length, seqs = obs.shape[:2]
        return self.sequence_inputs(self.inputs(obs.reshape(length * seqs, -1)), length, state)

    def sequence_inputs(
        self, inputs: tuple[torch.Tensor, ...], length: int, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`sequence` from :meth:`inputs` of the ``length × S`` observations, flattened time-major."""
        x = self.encode_inputs(*inputs)
        assert isinstance(x, torch.Tensor)
        out, _ = self.lstm(x.view(length, -1, x.shape[-1]), state)
        return self.actor(out), self.critic(out).squeeze(-1)


def masked_logits(logits: torch.Tensor, action_mask: torch.Tensor) -> torch.Tensor:
    """Invalid actions get :data:`MASKED_LOGIT`; a row with no valid action keeps action 0 (no bet) valid so
    the distribution is always defined."""
    mask = action_mask.clone()
    mask[..., 0] |= ~mask.any(dim=-1)
    return logits.masked_fill(~mask, MASKED_LOGIT)


class LivePolicy:
    """Inference wrapper for concurrent matches: keeps one recurrent state per match slot."""

    def __init__(
        self, network: MaskedAttentionLSTM, n_matches: int, *, deterministic: bool = True, seed: int | None = None
    ) -> None:
        self.network = network.eval()
        self.deterministic = deterministic
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.state = network.initial_state(n_matches)

    def reset(self, slots: np.ndarray | None = None) -> None:
        """Forget the memory of finished matches (``slots`` boolean mask), or of every match."""
        if slots is None:
            self.state = self.network.initial_state(self.state[0].shape[1])
            return
        keep = torch.as_tensor(~np.asarray(slots, dtype=bool), dtype=torch.float32).view(1, -1, 1)
        self.state = (self.state[0] * keep, self.state[1] * keep)

    @torch.inference_mode()
    def act(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        logits, _, self.state = self.network.step(torch.as_tensor(obs, dtype=torch.float32), self.state)
        logits = masked_logits(logits, torch.as_tensor(action_mask, dtype=torch.bool))
        if self.deterministic:
            return logits.argmax(dim=-1).numpy()
        probs = torch.softmax(logits, dim=-1)
        return torch.multinomial(probs, 1, generator=self.generator).squeeze(-1).numpy()
