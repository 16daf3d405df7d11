# governance: `make run` to serve, `make test` to test. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python 3.11+ on the PATH (evaluated once; override with make PYTHON=...).
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11; do \
	if $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; \
	then command -v $$p; break; fi; done)
endif
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HTMX := static/vendor/htmx.min.js
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

.PHONY: help install run migrate test test-unit test-pg test-browser lint format bench messages demo clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 or newer is needed (python3 --version)."; exit 1; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(INSTALLED)

$(HTMX): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund && mkdir -p static/vendor && \
		cp node_modules/htmx.org/dist/htmx.min.js $(HTMX); \
	else echo "npm not found: htmx not installed; every page still works without JavaScript."; fi

install: $(INSTALLED) $(HTMX) ## Create .venv and install the package (quick when nothing changed)

migrate: install ## Apply migrations to the configured database
	@$(BIN)/governance database upgrade

run: install ## Migrate the embedded database and serve on http://127.0.0.1:8000
	@$(BIN)/governance serve

test: install ## Run the whole suite on SQLite (browser tests too when Chromium is present)
	@$(BIN)/pytest -m "not browser" -n 2 -q
	@$(BIN)/pytest -m browser -p no:xdist -q tests/browser

test-pg: install ## Run the suite against PostgreSQL (GOVERNANCE_TEST_DATABASE_URL)
	@GOVERNANCE_TEST_DATABASE_URL=$${GOVERNANCE_TEST_DATABASE_URL:-$(PG_TEST_URL)} \
		$(BIN)/pytest -m "not browser" -n 2 -q

test-browser: install ## Run the browser journeys in Chromium; a skip is a failure
	@GOVERNANCE_REQUIRE_BROWSER=1 $(BIN)/pytest -m browser -p no:xdist -q tests/browser

lint: install ## ruff, mypy --strict on governance/, and the import contracts (pyproject.toml)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@$(BIN)/lint-imports --no-cache

format: install ## Format the code with ruff
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

bench: install ## Benchmarks: serving, counting (results in bench/results/)
	@$(BIN)/python -m bench

messages: install ## Extract translatable strings into governance/locale/messages.pot
	@$(BIN)/pybabel extract -F babel.cfg -k N_ -o governance/locale/messages.pot --project governance .

clean: ## Remove the virtual environment and caches (keeps var/, the local database)
	rm -rf $(VENV) node_modules static/vendor .mypy_cache .ruff_cache .pytest_cache
