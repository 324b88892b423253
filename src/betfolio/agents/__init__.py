"""Hierarchical RL agents: UCB manager, pre-match and live workers, baselines."""
