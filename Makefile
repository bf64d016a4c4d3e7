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

# Lint first (fail fast, before the services start), then every test, then the external smoke subset.
test: lint services
	@$(PY) -m pytest $(PYTEST_ARGS)
	@scripts/test-external.sh

# The DATABASE_URL / REDIS_URL path: a smoke subset against PostgreSQL and Redis on 127.0.0.1 when they answer.
test-external: setup
	@scripts/test-external.sh

# ruff, then the import contracts of pyproject.toml ([tool.importlinter]: dependencies point one way).
lint: setup
	@echo "[pulih] ruff check"
	@.venv/bin/ruff check . || { echo "[pulih] FAILED: ruff check (.venv/bin/ruff check --fix . fixes the safe ones)"; exit 1; }
	@echo "[pulih] ruff format --check"
	@.venv/bin/ruff format --check . || { echo "[pulih] FAILED: ruff format --check (run .venv/bin/ruff format .)"; exit 1; }
	@echo "[pulih] lint-imports"
	@out=$$(.venv/bin/lint-imports --no-cache --no-logo 2>&1) && echo "$$out" | grep -E '^Contracts:' \
		|| { echo "$$out"; echo "[pulih] FAILED: lint-imports (an import against the direction in [tool.importlinter] of pyproject.toml)"; exit 1; }

bench: migrate
	@$(PY) bench/run_all.py
