#!/usr/bin/env bash
# Runs the API, a Celery worker and Celery beat in the foreground. Ctrl-C stops them and the embedded services.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
PORT=${PORT:-8000}
PY=.venv/bin/python
pids=()
stopping=""
cleanup() {
  trap - INT TERM EXIT
  stopping=1
  echo "[pulih] stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  scripts/services.sh stop
}
trap cleanup INT TERM EXIT
mkdir -p .local
# The production server (gunicorn.conf.py: gthread workers, a connection pool per worker), reloading on code
# changes: what a province runs, not runserver.
GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_RELOAD=true GUNICORN_WORKERS=${GUNICORN_WORKERS:-2} \
  .venv/bin/gunicorn -c gunicorn.conf.py & pids+=($!)
# The worker and beat are started again if they die (the API and the database stay up meanwhile): a killed
# worker loses nothing (acks_late, the outbox and the sweeps pick its work up).
keep_running() {  # NAME COMMAND...
  local name=$1; shift
  (
    child=""
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' INT TERM
    while true; do
      "$@" & child=$!
      wait "$child"; status=$?
      echo "[pulih] the $name exited (status $status, output above): starting it again in 3 s"
      sleep 3 & wait $!
    done
  ) & pids+=($!)
}
keep_running "Celery worker" .venv/bin/celery -A backend worker --without-mingle --without-gossip -l info -c 2
keep_running "Celery beat" .venv/bin/celery -A backend beat -l info --schedule .local/celerybeat-schedule
# Announce the API once it answers, not before: /health says 200, or 503 while a service is down (another
# program on the port would answer something else).
answers() {
  local url="http://127.0.0.1:$PORT/api/v1/health" code
  if command -v curl >/dev/null; then
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")
  else
    code=$($PY -c 'import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)' "$url" 2>/dev/null)
  fi
  [ "$code" = 200 ] || [ "$code" = 503 ]
}
for try in $(seq 120); do  # about a minute at most
  if [ -n "$stopping" ] || ! kill -0 "${pids[0]}" 2>/dev/null; then break; fi
  if answers; then
    echo "[pulih] API on http://127.0.0.1:$PORT/api/v1/docs  (Ctrl-C to stop)"
    break
  fi
  [ "$try" -eq 120 ] && echo "[pulih] no answer on 127.0.0.1:$PORT within a minute (Ctrl-C to stop)"
  sleep 0.5
done
[ -n "$stopping" ] || wait -n "${pids[@]}"  # (Ctrl-C while waiting for the API: all stopped already)
if [ -z "$stopping" ]; then echo "[pulih] the API server exited (see its output above); stopping the others"; fi
