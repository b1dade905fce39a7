# One task runner: these targets are what users, the README and CI run.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)

.PHONY: run watch test test-fast ui run-postgres ui-postgres pg-env run-lake ui-lake lake-env scale-check lint format bench bench-ui eval clean

# (Re)install when the project's dependencies change.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need Python 3.11+ on PATH (or make PYTHON=/path/to/python3)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## run: set up, then refresh the warehouse from data/raw through Dagster
run: $(STAMP)
	$(BIN)/podcast-assets refresh

## watch: refresh now, then whenever data/raw changes, from one warm process (Ctrl-C stops it)
watch: $(STAMP)
	$(BIN)/podcast-assets watch

## test: set up, then run the whole test suite, one pytest worker per core (pytest-xdist; at most
## 4). A test module stays on one worker (`--dist loadscope`), so its module fixtures are built
## once. `make test PYTEST_WORKERS=0` runs it in this process, as plain `pytest` does.
PYTEST_WORKERS ?= auto
XDIST := --numprocesses=$(PYTEST_WORKERS) --maxprocesses=4 --dist=loadscope

test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST)

## test-fast: pure functions and DuckDB only: no spaCy pipeline, no process started (a guard in
## conftest.py fails any test that does either); target under 30 s. CI runs `make test`.
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not slow"

## ui: the Dagster UI and daemon on this code location, with the instance `make run` records into
ui: $(STAMP)
	$(BIN)/podcast-assets ui -w workspace.yaml

## run-postgres, ui-postgres: `make run` and `make ui` on the PostgreSQL instance
## (instances/postgres/dagster.yaml), connecting to DAGSTER_PG_URL; see docs/operations.md.
## Its event log batches asset events only with DAGSTER_EVENT_BATCH_SIZE set: 1000 unless given.
run-postgres ui-postgres: export DAGSTER_HOME := $(CURDIR)/instances/postgres
run-postgres ui-postgres: export DAGSTER_EVENT_BATCH_SIZE ?= 1000

run-postgres: pg-env $(STAMP)
	$(BIN)/podcast-assets refresh

ui-postgres: pg-env $(STAMP)
	$(BIN)/podcast-assets ui -w workspace.yaml

pg-env:
	@test -n "$$DAGSTER_PG_URL" || { \
		echo "DAGSTER_PG_URL is not set: export DAGSTER_PG_URL=postgresql://USER:PASSWORD@HOST:5432/DB" \
			"(an existing, empty database; see docs/operations.md)" >&2; exit 2; }

## run-lake, ui-lake: `make run` and `make ui` with a DuckLake warehouse (catalog in PostgreSQL)
## and the instance that lets runs write at once (instances/lake/dagster.yaml); needs
## DAGSTER_PG_URL and PODCAST_WAREHOUSE=ducklake:postgres:...; see docs/operations.md.
run-lake ui-lake: export DAGSTER_HOME := $(CURDIR)/instances/lake
run-lake ui-lake: export DAGSTER_EVENT_BATCH_SIZE ?= 1000

run-lake: pg-env lake-env $(STAMP)
	$(BIN)/podcast-assets refresh

ui-lake: pg-env lake-env $(STAMP)
	$(BIN)/podcast-assets ui -w workspace.yaml

lake-env:
	@case "$$PODCAST_WAREHOUSE" in ducklake:postgres:*) ;; *) \
		echo "PODCAST_WAREHOUSE is not a lake: export PODCAST_WAREHOUSE=ducklake:postgres:postgresql://USER:PASSWORD@HOST:5432/LAKE_DB" \
			"(an existing database; its Parquet files go to PODCAST_LAKE_DATA, default data/lake)" >&2; exit 2;; esac

## scale-check: the lake's scale test alone (its own throwaway PostgreSQL, 44 files as 4
## concurrent runs, a reader looping, one run worker SIGKILLed); prints its figures. CI runs it.
scale-check: $(STAMP)
	$(BIN)/python -m pytest podcast_assets_tests/test_scale_lake.py -m scale -q -s -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check podcast_assets podcast_assets_tests benchmarks
	$(BIN)/ruff format --check podcast_assets podcast_assets_tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format podcast_assets podcast_assets_tests benchmarks
	$(BIN)/ruff check --fix podcast_assets podcast_assets_tests benchmarks

clean:
	rm -rf $(VENV) .dagster data/warehouse.duckdb data/warehouse.duckdb.wal

## bench: the performance benchmark (make bench N=20 for a quick run); BACKEND=lake: one run
## on the DuckDB file against concurrent runs on a DuckLake (N=200 unless given; PostgreSQL)
BACKEND ?= file
N ?= $(if $(filter lake,$(BACKEND)),200,1000)
bench: $(STAMP)
ifeq ($(BACKEND),lake)
	$(BIN)/python -m benchmarks.lake --n $(N)
else
	$(BIN)/python -m benchmarks.run --n $(N)
endif

## bench-ui: one file through the UI, the sensor and the CLI (docs/performance.md)
bench-ui: $(STAMP)
	$(BIN)/python -m benchmarks.ui_paths

## eval: extraction quality against the hand-annotated gold in eval/gold (dev and held-back)
eval: $(STAMP)
	$(BIN)/podcast-assets eval eval/gold
