"""Betfolio: a football betting portfolio run like a small quant fund."""

__version__ = "0.1.0"
