# mesoclinic: `make demo` runs the demo clinic, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# W7's peer, django-appointment, lives in a bench-only environment: never a dependency of
# mesoclinic (requirements.lock does not hold it), built only for `make bench`.
PEER_VENV := .venv-peer
PEER_STAMP := $(PEER_VENV)/.installed-stamp
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: demo test test-sqlite test-postgres lint format bench install clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(PEER_STAMP): bench/peer-requirements.lock
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/python -m pip install --quiet -r bench/peer-requirements.lock
	touch $(PEER_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mesoclinic demo

# The two databases' suites run side by side (one core each on a two-core CI machine: the
# last sequential CI run took 78 of its 90 minutes); each one's output is printed whole
# when it ends, and `make test` fails if either fails.
test: lint
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	MESOCLINIC_HOME=var/check $(BIN)/mesoclinic manage makemigrations --check --dry-run

test-sqlite: $(STAMP)
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== pytest on PostgreSQL ($(PG_TEST_URL)); the pure-engine tests ran on SQLite =="
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -m "not pure" $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP) $(PEER_STAMP)
	BENCH_PEER_PYTHON=$(PEER_VENV)/bin/python $(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(PEER_VENV) var .pytest_cache .mypy_cache .ruff_cache
