#!/usr/bin/env bash
# Runs the tests marked `external` with DATABASE_URL / REDIS_URL pointing at services on 127.0.0.1 (the path a
# deployment takes), when such services answer; says so and skips when they do not.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
DB_URL=${EXTERNAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
RD_URL=${EXTERNAL_REDIS_URL:-redis://127.0.0.1:6379/15}
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "[pulih] no PostgreSQL/Redis on 127.0.0.1: external-services tests skipped"
  exit 0
fi
if ! psql "$DB_URL" -qAtc "SELECT 1 FROM pg_available_extensions WHERE name='postgis'" 2>/dev/null | grep -q 1; then
  echo "[pulih] PostgreSQL on 127.0.0.1 has no PostGIS available: external-services tests skipped"
  exit 0
fi
if ! psql "$DB_URL" -qAtc "SELECT 1 FROM pg_available_extensions WHERE name='pgrouting'" 2>/dev/null | grep -q 1; then
  echo "[pulih] PostgreSQL on 127.0.0.1 has no pgRouting (postgresql-<version>-pgrouting): migrations would stop at"
  echo "        travel.0001_pgrouting; external-services tests skipped"
  exit 0
fi
echo "[pulih] external-services tests against $DB_URL and $RD_URL"
DATABASE_URL=$DB_URL REDIS_URL=$RD_URL TEST_DATABASE_NAME=test_pulih_external \
  .venv/bin/python -m pytest -m external -p no:randomly -q
