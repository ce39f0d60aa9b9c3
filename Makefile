# VerseHub: `make run` serves the app with embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# The suite runs on both cores (pytest-xdist); each worker starts its own PostgreSQL and Redis.
TEST_WORKERS ?= 2

.PHONY: .venv run worker migrate test lint format typecheck check clean screenshots

# Only creates/updates the virtualenv from the lock file.
.venv: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "VerseHub needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact --python $(BIN)/python
	@touch $@

migrate: .venv
	$(BIN)/versehub db upgrade

run: migrate
	$(BIN)/versehub demo --if-empty
	$(BIN)/versehub run --host $(HOST) --port $(PORT)

# A separate job worker (scaled-out path; `make run` already has one inside).
worker: migrate
	$(BIN)/versehub worker

test: .venv
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# PNGs of the main pages at density 1, 3 and 5, normal and high contrast, into docs/screenshots/
# (demo content on a temporary SQLite database; needs Chromium, see tests/e2e/screenshots.py).
screenshots: .venv
	$(BIN)/python -m tests.e2e.screenshots --out docs/screenshots

lint: .venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: .venv
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

typecheck: .venv
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
