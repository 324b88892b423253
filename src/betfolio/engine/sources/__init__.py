"""Where the engine's events come from: a replayed pre-match history, a replayed match in play, the live feed."""
