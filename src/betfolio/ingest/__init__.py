"""One ingest path for every provider: fetch → archive raw bytes → map → resolve identities → write.

Providers only parse and speak HTTP; the store only stores and reads. This package is where the two meet, so
that neither imports the other.
"""
