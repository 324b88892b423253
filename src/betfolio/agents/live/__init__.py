"""Live worker: masked LSTM + attention policy trained with PPO on minute-by-minute replayed matches."""
