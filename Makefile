# Gonghui: two commands set everything up on a fresh machine.
#   make run    virtual environment, install, migrate, demo city, server on http://127.0.0.1:$(PORT)
#   make test   the whole suite: lint, format, types, migrations check, tests (browser tests included)
#   make bench  the scale benchmarks on PostgreSQL (DATABASE_URL, default the local "test" database)
#   make faults the fault suite, on a PostgreSQL and a Redis of its own (never the shared ones)

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
MANAGE := $(BIN)/python manage.py
PYTEST_WORKERS ?= 2
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test lint bench faults assets messages compile-messages clean
.DEFAULT_GOAL := run

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamps make later runs skip the install unless pyproject.toml changed.
$(VENV)/.run-deps: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-deps

# Front-end assets come from the npm registry at set-up and are served locally (no CDN).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

assets: node_modules/.installed

# Compiled message catalogues are build output, never committed.
compile-messages: $(VENV)/.run-deps
	cd gonghui && ../$(BIN)/django-admin compilemessages -v 0

# After changing user-facing text: refresh the English catalogue, then translate what it added.
messages: $(VENV)/.run-deps
	$(MANAGE) makemessages -l en --no-location --ignore=.venv --ignore=node_modules \
		--ignore=var --ignore='*/tests/*' --ignore='gonghui/testing/*' --ignore='bench/*'

# The demo city is loaded into an empty database, and demo mode lists its accounts on the
# sign-in page; run with GONGHUI_DEMO=0 for an empty installation's behaviour.
GONGHUI_DEMO ?= 1
run: export GONGHUI_DEMO := $(GONGHUI_DEMO)
run: $(VENV)/.run-deps assets compile-messages
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) load_demo --if-empty
	$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gonghui bench faults

test: $(VENV)/.dev-deps assets compile-messages lint
	$(MANAGE) makemigrations --check --dry-run -v 1
	$(MANAGE) check_messages
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(VENV)/.dev-deps assets
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench $(BENCH_ARGS)

# Starts its own PostgreSQL 15 (/usr/lib/postgresql/15/bin) and Redis on free ports; see faults/.
faults: $(VENV)/.dev-deps assets
	$(BIN)/python -m faults $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) node_modules var
