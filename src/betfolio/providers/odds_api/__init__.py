"""The Odds API v4 (the-odds-api.com): bookmaker prices for a sport (h2h, totals, spreads)."""

PROVIDER = "odds-api"
PARSER_VERSION = "1"
