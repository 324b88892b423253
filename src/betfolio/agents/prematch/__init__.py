"""Pre-match worker: tabular Q-learning over discretised edge/odds/bankroll buckets, or DQN over all features."""
