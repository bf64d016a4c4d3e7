#!/usr/bin/env bash
# Embedded PostgreSQL+PostGIS and Redis under .local/ (git-ignored), on unix sockets only: never the machine's
# 5432/6379. Skipped for a service whose URL (DATABASE_URL / REDIS_URL) is given.
# As root the cluster runs as the postgres system user (initdb refuses root). When that user cannot reach
# .local/ (a clone inside a mode-700 folder: root's home, `mktemp -d`), the cluster's folder is instead
# /var/tmp/pulih-pg-<hash of .local's path>/ (owned by postgres, mode 700) and .local/pg is a symlink to it:
# that is how `stop`, `status` and backend/settings.py find it. Deleting the clone leaves that folder behind.
#   scripts/services.sh start | stop | status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
LOCAL=${PULIH_LOCAL_DIR:-$ROOT/.local}
mkdir -p "$LOCAL"
LOCAL=$(cd "$LOCAL" && pwd -P)
PG_MAJOR=${PG_MAJOR:-15}
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_LINK=$LOCAL/pg
PG_DIR=$PG_LINK  # the cluster's folder: .local/pg, or where the symlink .local/pg points (pg_locate)
PG_PORT=${PULIH_EMBEDDED_PG_PORT:-54329}
REDIS_DIR=$LOCAL/redis
REDIS_SOCK=$REDIS_DIR/redis.sock

say() { printf '\033[1m[pulih services]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[pulih services] %s\033[0m\n' "$*" >&2; exit 1; }

as_pg() {
  # initdb refuses to run as root: run the cluster as the postgres system user then (from /: it may not be
  # allowed into the clone).
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_locate() {
  if [ -L "$PG_LINK" ]; then PG_DIR=$(readlink -- "$PG_LINK"); else PG_DIR=$PG_LINK; fi
}

# As root, with .local/ out of the postgres user's reach: the cluster goes to /var/tmp (see the header).
pg_place() {
  [ "$(id -u)" -eq 0 ] || return 0
  [ -L "$PG_LINK" ] && return 0
  runuser -u postgres -- test -x "$LOCAL" 2>/dev/null && return 0
  [ -f "$PG_LINK/data/PG_VERSION" ] && die "the postgres user cannot reach the cluster in $PG_LINK (a folder" \
    "above it is private): make that folder traversable (chmod o+x), or delete $PG_LINK for a new cluster"
  local outside
  outside=/var/tmp/pulih-pg-$(printf '%s' "$LOCAL" | sha256sum | cut -c1-16)
  # /var/tmp is writable by everyone: use the folder only if it is the postgres user's own, not a symlink.
  if [ -L "$outside" ] || { [ -e "$outside" ] && [ "$(stat -c %U "$outside")" != postgres ]; }; then
    die "$outside exists but is not a folder of the postgres user: remove it"
  fi
  install -d -m 700 -o postgres -g postgres "$outside"
  # An in-tree .local/pg without a cluster holds only what an attempt that could not reach it left (logs).
  [ -e "$PG_LINK" ] && rm -rf -- "$PG_LINK"
  ln -s "$outside" "$PG_LINK"
  say "the postgres user cannot reach $LOCAL: cluster in $outside (linked from $PG_LINK)"
}

psql_local() { as_pg "$PG_BIN/psql" -h "$PG_DIR/run" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

pg_start() {
  if [ -n "${DATABASE_URL:-}" ]; then say "DATABASE_URL set: using that PostgreSQL"; return; fi
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL $PG_MAJOR is not installed: run scripts/setup.sh"
  pg_place
  pg_locate
  mkdir -p "$PG_DIR/run"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    say "initialising embedded PostgreSQL in $PG_DIR/data"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
      || die "initdb failed: see $PG_DIR/initdb.log"
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    say "starting embedded PostgreSQL (socket $PG_DIR/run, port $PG_PORT)"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_DIR/run -c listen_addresses='' -c fsync=on -c jit=off" start >/dev/null \
      || die "PostgreSQL did not start: see $PG_DIR/server.log"
  fi
  if [ "$(psql_local -d postgres -c "SELECT 1 FROM pg_database WHERE datname='pulih'")" != "1" ]; then
    psql_local -d postgres -c "CREATE DATABASE pulih" >/dev/null
  fi
  psql_local -d pulih -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null 2>&1 \
    || die "CREATE EXTENSION postgis failed: is postgresql-$PG_MAJOR-postgis-3 installed?"
  psql_local -d pulih -c "CREATE EXTENSION IF NOT EXISTS pgrouting" >/dev/null 2>&1 \
    || die "CREATE EXTENSION pgrouting failed: is postgresql-$PG_MAJOR-pgrouting installed? (run scripts/setup.sh)"
}

redis_start() {
  if [ -n "${REDIS_URL:-}" ]; then say "REDIS_URL set: using that Redis"; return; fi
  command -v redis-server >/dev/null || die "redis-server is not installed: run scripts/setup.sh"
  mkdir -p "$REDIS_DIR"
  if [ -S "$REDIS_SOCK" ] && redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1; then return; fi
  say "starting embedded Redis (socket $REDIS_SOCK)"
  redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 --daemonize yes \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    --save "" --appendonly no >/dev/null || die "Redis did not start: see $REDIS_DIR/redis.log"
  for _ in $(seq 50); do redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1 && return; sleep 0.1; done
  die "Redis did not answer: see $REDIS_DIR/redis.log"
}

stop_all() {
  if [ -z "${REDIS_URL:-}" ] && [ -S "$REDIS_SOCK" ]; then
    redis-cli -s "$REDIS_SOCK" shutdown nosave >/dev/null 2>&1 || true
    say "embedded Redis stopped"
  fi
  if [ -z "${DATABASE_URL:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    say "embedded PostgreSQL stopped"
  fi
}

pg_locate
case "${1:-start}" in
  start) pg_start; redis_start ;;
  stop) stop_all ;;
  status)
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status || true
    redis-cli -s "$REDIS_SOCK" ping || true ;;
  *) die "usage: $0 start|stop|status" ;;
esac
