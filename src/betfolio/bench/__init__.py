"""Benchmarks behind `betfolio bench …`; each prints machine-readable JSON."""
