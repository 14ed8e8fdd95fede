# The two commands a new user needs: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data
DEMO_DB ?= riskseg.duckdb
DEMO_CUSTOMERS ?= 2000
DEMO_OUT ?= demo-out
# the demo company's history ends on 2025-12-31
DEMO_AS_OF ?= 2025-12-31

.PHONY: demo test test-fast bench bench-signals bench-clv bench-scores bench-playbook lint clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/riskseg demo --customers $(DEMO_CUSTOMERS) --out $(DEMO_DIR) --db $(DEMO_DB)
	$(BIN)/riskseg status --db $(DEMO_DB)
	$(BIN)/riskseg run --db $(DEMO_DB) --as-of $(DEMO_AS_OF) --out $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Signals at 1M demo customers and RFM on a 20M-row file against pymc-marketing (in its own
# venv, bench/.venv-ref). Needs ~8 GB of disk and ~30 minutes the first time (data is cached
# under bench/out/). BENCH_ARGS=--skip-demo or --skip-rfm runs one half.
BENCH_ARGS ?=
bench-signals: $(STAMP)
	$(BIN)/python bench/signals.py $(BENCH_ARGS)

# BG/NBD + Gamma-Gamma on 1M simulated customers (target <= 30 s, <= 2 GB) against lifetimes and
# pymc-marketing (bench/.venv-ref, made on first use). About 2 minutes; CLV_ARGS=--customers N.
CLV_ARGS ?=
bench-clv: $(STAMP)
	$(BIN)/python bench/clv.py $(CLV_ARGS)

# Scores and their reasons for 1M customers (target <= 2 minutes); trains on a 3,000-customer
# demo company first (cached under bench/out/scores). SCORES_ARGS=--customers N.
SCORES_ARGS ?=
bench-scores: $(STAMP)
	$(BIN)/python bench/scores.py $(SCORES_ARGS)

# Segments and the playbook for 1M customers (target <= 2 minutes); reuses bench-scores' data.
PLAYBOOK_ARGS ?=
bench-playbook: $(STAMP)
	$(BIN)/python bench/playbook.py $(PLAYBOOK_ARGS)

# REST API at 1M customers: list and profile p95 < 300 ms under 20 concurrent clients against
# `riskseg serve` on loopback. Builds its store once from a 2,000-customer demo run (cached under
# bench/out/api, ~1 minute); then about 10 minutes. API_ARGS=--customers N --requests N.
API_ARGS ?=
.PHONY: bench-api
bench-api: $(STAMP)
	$(BIN)/python bench/api.py $(API_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(DEMO_DB) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
