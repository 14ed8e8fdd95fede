# The two commands a new user needs: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data
DEMO_DB ?= riskseg.duckdb
DEMO_CUSTOMERS ?= 2000

.PHONY: demo test test-fast bench lint clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/riskseg demo --customers $(DEMO_CUSTOMERS) --out $(DEMO_DIR) --db $(DEMO_DB)
	$(BIN)/riskseg status --db $(DEMO_DB)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(DEMO_DB) .pytest_cache .mypy_cache .ruff_cache
