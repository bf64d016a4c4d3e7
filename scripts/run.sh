#!/usr/bin/env bash
# Runs the API, a Celery worker and Celery beat in the foreground. Ctrl-C stops them and the embedded services.
set -uo pipefail
cd "$(dirname "$0")/.."
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
$PY manage.py runserver "127.0.0.1:$PORT" --noreload & pids+=($!)
.venv/bin/celery -A backend worker --without-mingle --without-gossip -l info -c 2 & pids+=($!)
.venv/bin/celery -A backend beat -l info --schedule .local/celerybeat-schedule & pids+=($!)
echo "[pulih] API on http://127.0.0.1:$PORT/api/v1/docs  (Ctrl-C to stop)"
wait -n "${pids[@]}"
if [ -z "$stopping" ]; then echo "[pulih] a process exited (see its output above); stopping the others"; fi
