"""football-data.co.uk: historical results, match statistics and bookmaker odds as CSV files."""

PROVIDER = "football-data"

#: Bumped whenever the mapping changes, so files ingested by an older mapper are parsed again.
PARSER_VERSION = "1"
