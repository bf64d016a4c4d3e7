"""gunicorn settings, shared by `make run` (scripts/run.sh) and the Docker image, so what a newcomer runs is what a
province runs. Each value may be overridden by the environment (GUNICORN_*), or on the command line.

Threads, so that sign-ins do not block sync: a password check (PBKDF2, 1,000,000 iterations) costs about half a
second of CPU. With sync workers (one request per process) a burst of sign-ins held every worker and each sync
request queued behind them for seconds (bench/RESULTS.md). gthread workers answer `threads` requests at once per
process; hashlib's PBKDF2 releases the GIL, so a sign-in no longer stops the sync requests of its own process
either. bench/bench_signin_burst.py measures sync's p95 during a burst of sign-ins, sync workers against gthread, in
one run.

Connections: each worker process has a pool of at most `threads` PostgreSQL connections (DB_POOL_MAX_SIZE, read by
backend/settings.py; Django 5.2's psycopg pool), opened as needed and shared by its threads. The API thus holds
at most workers x threads connections (3 x 4 = 12 by default), whatever the request rate; runserver's thread per
request had exhausted PostgreSQL's 100 connections under load. Size PostgreSQL's max_connections for every
node: API processes x threads + Celery processes + beat + a margin for administration.
"""

from __future__ import annotations

import os

wsgi_app = "backend.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4")) if worker_class == "gthread" else 1
if threads > 1:
    # Read by backend/settings.py in each worker (the config runs in the master, before the workers fork).
    os.environ.setdefault("DB_POOL_MAX_SIZE", str(threads))
    # At most half the threads check a password at once (api/routers/auth.py): the rest stay free for sync.
    os.environ.setdefault("SIGN_IN_CONCURRENCY", str(max(1, threads // 2)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
reload = os.environ.get("GUNICORN_RELOAD", "") == "true"
accesslog = "-"
# The access log names the path, never the query string: searches (`GET /clients?q=<name>`) carry names and
# NIKs that people type, and no personal data may reach a log line.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
