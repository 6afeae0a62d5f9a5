# gridgov: `make demo` serves the demo, `make test` runs the whole test suite.
# Both create .venv in the project root and install the pinned dependencies into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: demo serve test bench bench-full assets lint lint-format lint-ruff lint-types lint-imports lint-migrations format check ci clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pinned requirements change.
$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $(VENV)/.base-installed $@

# Front-end libraries (htmx, Leaflet, ECharts) from the npm registry, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

demo: $(VENV)/.base-installed node_modules/.installed
	GRIDGOV_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	GRIDGOV_DEBUG=1 $(BIN)/python manage.py load_demo
	GRIDGOV_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production server (docs/production.md): gunicorn with config/gunicorn.conf.py on GRIDGOV_BIND
# (default 127.0.0.1:8000). Needs GRIDGOV_SECRET_KEY and GRIDGOV_ALLOWED_HOSTS; GRIDGOV_DEBUG unset.
# With DEBUG off Django serves no static files (config/urls.py adds them only with DEBUG) and
# whitenoise is not used: collectstatic gathers them into var/static/ for the reverse proxy in front
# (nginx, say) to serve under /static/, and it serves the uploaded photos in var/media/ under /media/.
serve: $(VENV)/.base-installed node_modules/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi

test: $(VENV)/.dev-installed node_modules/.installed
	GRIDGOV_DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (issue 6): prints one table, writes var/bench/results.json; see docs/performance.md.
# GRIDGOV_DEBUG stays unset: with DEBUG on Django keeps every query and the figures are not production's.
bench: $(VENV)/.base-installed
	GRIDGOV_ALLOW_INSECURE_KEY=1 $(BIN)/python manage.py bench

bench-full: $(VENV)/.base-installed
	GRIDGOV_ALLOW_INSECURE_KEY=1 $(BIN)/python manage.py bench --full

# Each check is its own target, so `make -k lint` (as .ci/run calls it) reports every failing check.
lint: lint-format lint-ruff lint-types lint-imports lint-migrations

lint-format: $(VENV)/.dev-installed
	$(BIN)/ruff format --check .

lint-ruff: $(VENV)/.dev-installed
	$(BIN)/ruff check .

lint-types: $(VENV)/.dev-installed
	GRIDGOV_DEBUG=1 $(BIN)/mypy .

lint-imports: $(VENV)/.dev-installed
	$(BIN)/lint-imports

lint-migrations: $(VENV)/.dev-installed
	GRIDGOV_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# Rewrites files: ruff's formatting and its safe fixes.
format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

# What CI runs: system packages, a throwaway PostgreSQL, lint, the suite on SQLite and PostgreSQL.
ci:
	bash .ci/run

clean-demo:
	rm -f var/gridgov.sqlite3 var/gridgov.sqlite3-wal var/gridgov.sqlite3-shm
