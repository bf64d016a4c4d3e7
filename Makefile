# Pulih: two commands. `make run` and `make test` install what is missing, start embedded PostgreSQL+PostGIS and
# Redis unless DATABASE_URL / REDIS_URL are set, and then run the service or the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup services stop migrate demo run test test-external lint bench

setup:
	@scripts/setup.sh

services: setup
	@scripts/services.sh start

stop:
	@scripts/services.sh stop

migrate: services
	@$(PY) manage.py migrate --noinput -v 0
	@echo "[pulih] database migrated"

demo: migrate
	@$(PY) manage.py load_demo

run: demo
	@scripts/run.sh

test: services
	@$(PY) -m pytest $(PYTEST_ARGS)
	@scripts/test-external.sh

# The DATABASE_URL / REDIS_URL path: a smoke subset against PostgreSQL and Redis on 127.0.0.1 when they answer.
test-external: setup
	@scripts/test-external.sh

lint: setup
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

bench: migrate
	@$(PY) bench/run_all.py
