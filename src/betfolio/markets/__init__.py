"""Odds maths: implied probabilities, margins, settlement, staking, closing line value."""
