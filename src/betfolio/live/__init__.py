"""The live half of Betfolio: paper trading on the Redis stream, the adapter service, Prometheus metrics.

``stream`` reads the live-state stream as a consumer group, ``paper`` trades it, ``service`` serves the store
and the live states over HTTP, ``metrics`` defines every metric the long-running processes export.
"""
