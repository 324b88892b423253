"""Adapter micro-service, live loop, metrics exporter."""
