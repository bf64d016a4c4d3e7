"""gunicorn settings, shared by `make run` (scripts/run.sh) and the Docker image, so what a newcomer runs is what a
province runs. Each value may be overridden by the environment (GUNICORN_*), or on the command line.

Connections: each sync worker holds at most one PostgreSQL connection (CONN_MAX_AGE reuses it), so the API uses
at most `workers` connections, whatever the request rate; runserver's thread per request had exhausted
PostgreSQL's 100 connections under load.
"""

from __future__ import annotations

import os

wsgi_app = "backend.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
reload = os.environ.get("GUNICORN_RELOAD", "") == "true"
accesslog = "-"
# The access log names the path, never the query string: searches (`GET /clients?q=<name>`) carry names and
# NIKs that people type, and no personal data may reach a log line.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
