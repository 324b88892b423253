"""The live network: masked attention stays finite, ignores missing features, masks invalid actions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from betfolio.agents.live.layout import TokenLayout
from betfolio.agents.live.network import LivePolicy, MaskedAttentionLSTM, NetworkConfig, masked_logits


@pytest.fixture
def net() -> MaskedAttentionLSTM:
    torch.manual_seed(0)
    layout = TokenLayout(("a", "b", "c"), ("staleness", "cash"), query_features=("a",))
    return MaskedAttentionLSTM(layout, NetworkConfig(token_dim=8, heads=2, context_dim=8, hidden=16, n_actions=4))


def _obs(values: list[float], mask: list[float], context: list[float]) -> torch.Tensor:
    return torch.tensor([values + mask + context], dtype=torch.float32)


def test_all_missing_features_stay_finite(net: MaskedAttentionLSTM) -> None:
    obs = _obs([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.1, 1.0])
    logits, value, state = net.step(obs, net.initial_state(1))
    assert torch.isfinite(logits).all() and torch.isfinite(value).all()
    assert all(torch.isfinite(s).all() for s in state)


def test_missing_feature_values_do_not_leak(net: MaskedAttentionLSTM) -> None:
    """A masked feature's value has no influence; a present one does (missing ≠ zero)."""
    base = net.encode(_obs([1.0, 5.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0]))
    changed_missing = net.encode(_obs([1.0, -7.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0]))
    changed_present = net.encode(_obs([1.0, 5.0, 3.0], [1.0, 0.0, 1.0], [0.0, 1.0]))
    assert torch.allclose(base, changed_missing)
    assert not torch.allclose(base, changed_present)


def test_present_zero_differs_from_missing(net: MaskedAttentionLSTM) -> None:
    present_zero = net.encode(_obs([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0]))
    missing = net.encode(_obs([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0]))
    assert not torch.allclose(present_zero, missing)


def test_attention_weights_are_zero_on_missing_tokens(net: MaskedAttentionLSTM) -> None:
    _, weights = net.encode(_obs([1.0, 2.0, 3.0], [1.0, 0.0, 1.0], [0.0, 1.0]), return_attention=True)
    # token 0 is the always-present token; feature b is token 2
    assert torch.all(weights[..., 2] == 0)
    assert torch.allclose(weights.sum(-1), torch.ones_like(weights.sum(-1)))


def test_sequence_matches_stepwise(net: MaskedAttentionLSTM) -> None:
    """The fused whole-match pass used in training equals the minute-by-minute pass used in rollouts."""
    obs = torch.randn(6, 2, net.layout.obs_dim)
    obs[..., 3:6] = (obs[..., 3:6] > 0).float()
    seq_logits, seq_values = net.sequence(obs, net.initial_state(2))
    state = net.initial_state(2)
    for t in range(6):
        logits, value, state = net.step(obs[t], state)
        assert torch.allclose(logits, seq_logits[t], atol=1e-5)
        assert torch.allclose(value, seq_values[t], atol=1e-5)


def test_masked_logits_never_sample_invalid_actions() -> None:
    logits = torch.zeros(1000, 4)
    mask = torch.tensor([True, False, True, False]).expand(1000, 4)
    samples = torch.distributions.Categorical(logits=masked_logits(logits, mask)).sample()
    assert set(samples.tolist()) <= {0, 2}
    # a row without any valid action falls back to "no bet" instead of an undefined distribution
    none_valid = masked_logits(torch.zeros(1, 4), torch.zeros(1, 4, dtype=torch.bool))
    assert none_valid.argmax().item() == 0


def test_wrong_observation_width_is_a_clear_error(net: MaskedAttentionLSTM) -> None:
    with pytest.raises(ValueError, match="expects 8"):
        net.encode(torch.zeros(1, 5))


def test_live_policy_respects_mask_and_resets_memory(net: MaskedAttentionLSTM) -> None:
    policy = LivePolicy(net, 3)
    obs = np.random.default_rng(0).normal(size=(3, net.layout.obs_dim)).astype(np.float32)
    mask = np.array([[True, False, False, False], [True, True, True, True], [False, False, False, True]])
    actions = policy.act(obs, mask)
    assert actions[0] == 0 and actions[2] == 3
    assert policy.state[0].abs().sum() > 0
    policy.reset(np.array([True, False, False]))
    assert policy.state[0][:, 0].abs().sum() == 0 and policy.state[0][:, 1].abs().sum() > 0
