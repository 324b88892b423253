"""API-Football v3 (api-sports.io / RapidAPI): fixtures, live state, statistics, odds, players, injuries."""

PROVIDER = "api-football"

#: Bumped whenever the mapping changes, so archived payloads can be replayed through the new mapper.
PARSER_VERSION = "1"
