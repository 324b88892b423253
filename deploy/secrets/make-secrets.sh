#!/usr/bin/env sh
# Write the Compose secrets (once). Random passwords and token; the API key is asked for.
# The files are git-ignored and readable by their owner only.
set -eu
cd "$(dirname "$0")"
umask 077
rand() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
[ -f postgres_password ] || rand > postgres_password
[ -f database_url ] || printf 'postgresql+psycopg://betfolio:%s@postgres:5432/betfolio\n' "$(cat postgres_password)" > database_url
[ -f service_token ] || rand > service_token
[ -f grafana_admin_password ] || rand > grafana_admin_password
if [ ! -f api_football_key ]; then
  printf 'API-Football key: ' >&2
  stty -echo 2>/dev/null || true; read -r key; stty echo 2>/dev/null || true; echo >&2
  printf '%s\n' "$key" > api_football_key
fi
echo "secrets written to $(pwd)" >&2
