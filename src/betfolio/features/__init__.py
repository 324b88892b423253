"""Feature builders: one for pre-match decisions (:mod:`.prematch`), one for live states (:mod:`.live`).

Every feature travels with a mask (1 = present, 0 = missing; a missing value is 0 with mask 0, never a sentinel)
and live features carry the data's staleness. Training environments, the backtest's agent strategies and paper
trading build their observations here, so an agent sees the same features wherever it runs.
"""
