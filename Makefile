# leadpipe: `make run` runs the nightly job once on embedded defaults; `make test` runs the test suite.
# Both create the locked environment first (.venv, from uv.lock) with nothing but Python 3.11 and make.

PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := $(CURDIR)/.tools
UV := $(TOOLS)/bin/uv
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin

export UV_PROJECT_ENVIRONMENT := $(VENV)
export LEADPIPE_HOME ?= $(CURDIR)/.leadpipe
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= WARNING
export PATH := $(BIN):$(PATH)

.PHONY: install run test test-e2e test-e2e-deps airflow lint clean-run bench bench-normalise bench-enrich bench-dedupe bench-dedupe-e2e bench-validate bench-push bench-sql bench-titles bench-contacts title-model bench-append bench-forms bench-channels

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: every Airflow task is a fresh interpreter, and with PYTHONDONTWRITEBYTECODE set (as on
# our shared machines) an uncompiled .venv recompiles pandas, SQLAlchemy and GX from source in each one:
# ~5 s of CPU per task (GX alone 8 s instead of 3.6 s). The .bytecode stamp upgrades existing environments.
# --extra demo: Faker, for `leadpipe demo` (make run) and the tests; the production image goes without it.
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra demo --python $(PYTHON) --quiet --compile-bytecode
	touch $@ $(VENV)/.bytecode

$(VENV)/.bytecode: | $(VENV)/.installed
	$(UV) sync --frozen --extra demo --python $(PYTHON) --quiet --compile-bytecode
	touch $@

install: $(VENV)/.installed $(VENV)/.bytecode

run: install
	@mkdir -p $(AIRFLOW_HOME)
	@$(BIN)/leadpipe demo
	@$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	@$(BIN)/python -m leadpipe.airflow_app.pools  # one pool per CRM (docs/crm-sinks.md)
	@LEADPIPE_NO_DEADLINE=1 $(BIN)/airflow dags test leads_nightly > $(AIRFLOW_HOME)/last-run.log 2>&1 \
		|| ($(BIN)/leadpipe funnel; echo "the run failed; Airflow log: $(AIRFLOW_HOME)/last-run.log"; exit 1)
	@$(BIN)/leadpipe funnel
	@echo "  Airflow log: $(AIRFLOW_HOME)/last-run.log"

# The import-layer contracts first (pyproject.toml [tool.importlinter]; docs/architecture.md), then the suite
# (tests/test_architecture.py also shows that an upward import breaks them).
test: install test-e2e-deps
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's chromium for the Playwright browser tests (Playwright's own download does not work here).
# Idempotent: apt-get runs only when /usr/bin/chromium is missing.
CHROMIUM ?= /usr/bin/chromium
test-e2e-deps:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Only the browser tests (tests/e2e): starts its own Airflow on a free port.
test-e2e: install test-e2e-deps
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

# Airflow with the project's DAGs for local use: http://127.0.0.1:$(AIRFLOW_PORT)/, everyone is admin
# (local only). Ctrl-C stops all of it.
AIRFLOW_PORT ?= 8080
airflow: install
	@mkdir -p $(AIRFLOW_HOME)
	@echo "leadpipe Airflow: http://127.0.0.1:$(AIRFLOW_PORT)/  (starting takes about half a minute; Ctrl-C stops it)"
	@$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	@$(BIN)/python -m leadpipe.airflow_app.pools  # one pool per CRM (docs/crm-sinks.md)
	@AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=$(AIRFLOW_PORT) \
	 AIRFLOW__API__BASE_URL=http://127.0.0.1:$(AIRFLOW_PORT) \
	 AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$(AIRFLOW_PORT)/execution/ \
	 AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True AIRFLOW__CORE__PARALLELISM=4 \
	 exec $(BIN)/airflow standalone

# End-to-end benchmark (bench/pipeline_bench.py): wall time and peak RSS per stage, results in bench/results/.
BENCH_LEADS ?= 100000 1000000
# BENCH_PARALLEL: tasks of one stage at once, like two Celery workers on this 2-core machine.
BENCH_PARALLEL ?= 2
bench: install
	$(BIN)/python bench/pipeline_bench.py --parallel $(BENCH_PARALLEL) $(foreach n,$(BENCH_LEADS),--leads $(n))

# Title classification throughput (bench/title_bench.py): distinct titles, cold cache, one core (target >= 10,000/s).
bench-titles: install
	$(BIN)/python bench/title_bench.py --titles $(or $(TITLE_BENCH_TITLES),50000)

# Company emails/phones found on the frozen, hand-labelled set of 236 real company pages
# (tests/data/contact_eval/README.md): fetches the pages into bench/data/contact_pages/ once (hash-checked;
# CONTACT_PAGES_FROM_GIT=path/to/webstruct-clone reads them from a local clone), then prints the figures;
# then the same for the supplementary set (trafilatura's test pages, labelled after the change; CONTACT_EXTRA_FROM_GIT).
bench-contacts: install
	$(BIN)/python scripts/fetch_contact_pages.py $(if $(CONTACT_PAGES_FROM_GIT),--from-git $(CONTACT_PAGES_FROM_GIT))
	$(BIN)/python scripts/contact_accuracy.py --hostile $(CONTACT_ARGS)
	$(BIN)/python scripts/fetch_contact_pages.py --set extra $(if $(CONTACT_EXTRA_FROM_GIT),--from-git $(CONTACT_EXTRA_FROM_GIT))
	$(BIN)/python scripts/contact_accuracy.py --set extra

# Re-train the title -> department model from the committed O*NET titles (enrichment/data/onet_titles.csv, which
# leaves out the occupations of all three evaluation draws in tests/data/title_eval/;
# rebuild those first with `python scripts/build_title_data.py ONET_DIR`). Deterministic; needs the dev group.
title-model: install
	$(BIN)/python scripts/train_title_model.py

# Normalisation throughput on one core vs a per-row baseline (bench/normalise_bench.py).
bench-normalise: install
	$(BIN)/python bench/normalise_bench.py --rows $(or $(NORMALISE_ROWS),200000)

# Web enrichment: extraction per page; 1,000 local sites at the configured politeness, then from cache.
bench-enrich: install
	$(BIN)/python bench/enrich_bench.py --domains $(or $(ENRICH_DOMAINS),1000)

# Dedupe benchmark (bench/dedupe_bench.py): leadpipe vs Splink 5 (DuckDB) on generated leads with ground truth.
DEDUPE_SIZES ?= 10000 100000 1000000
# outside truth (FEBRL1/2 as lead fields) and the generator with email, phone and company blanked in half the rows
DEDUPE_FEBRL ?= febrl1 febrl2
DEDUPE_NO_EMAIL ?= 10000 100000
# Splink lives in its own environment (.venv-bench, same lock + the bench group): a plain `uv sync` of .venv
# removes groups it was not asked for.
bench-dedupe: install
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-bench $(UV) sync --frozen --group bench --quiet --compile-bytecode
	$(CURDIR)/.venv-bench/bin/python bench/dedupe_bench.py --sizes $(DEDUPE_SIZES) --incremental $(lastword $(DEDUPE_SIZES)) \
		--febrl $(DEDUPE_FEBRL) --no-email $(DEDUPE_NO_EMAIL)

# End to end (bench/dedupe_e2e_bench.py): `leadpipe dedupe FILE OUT.csv` as a user runs it vs Splink's whole job
# (read the CSV, train, predict, cluster, write) on the same 1M-row low-repetition file: wall, CPU, peak RSS/PSS of
# each process tree; plus normalisation rows/s on 2 cores. Heavy: run it under `flock /work/tools/bench.lock`.
DEDUPE_E2E_ROWS ?= 1000000
DEDUPE_E2E_REPEAT ?= 1
bench-dedupe-e2e: install
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-bench $(UV) sync --frozen --group bench --quiet --compile-bytecode
	$(CURDIR)/.venv-bench/bin/python bench/dedupe_e2e_bench.py --rows $(DEDUPE_E2E_ROWS) --repeat $(DEDUPE_E2E_REPEAT)

# Validation benchmark (bench/validate_bench.py): each GX suite on 1M synthetic leads, import excluded (target < 3 s).
VALIDATE_ROWS ?= 1000000
bench-validate: install
	$(BIN)/python bench/validate_bench.py --rows $(VALIDATE_ROWS) --repeat 3

# Push benchmark (bench/push_bench.py): HubSpot sink vs the emulator at 190 requests / 10 s (target >= 90% of the
# limit's records/s). PUSH_RECORDS=6000 PUSH_WINDOW=1 for a quick run (time scaled down 10x).
PUSH_RECORDS ?= 60000
PUSH_WINDOW ?= 10
bench-push: install
	$(BIN)/python bench/push_bench.py --records $(PUSH_RECORDS) --window $(PUSH_WINDOW)

# Form webhook erasure check (bench/form_erasure_bench.py): ms per post at 300,000 tombstones, loading them all vs
# the indexed lookup, on SQLite and PostgreSQL; results in bench/results/.
FORM_TOMBSTONES ?= 300000
bench-forms: install
	$(BIN)/python bench/form_erasure_bench.py --tombstones $(FORM_TOMBSTONES) --backend sqlite
	$(BIN)/python bench/form_erasure_bench.py --tombstones $(FORM_TOMBSTONES) --backend postgresql

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

clean-run:
	rm -rf $(LEADPIPE_HOME) $(AIRFLOW_HOME)

# SQL source benchmark (bench/sql_source_bench.py): stream a 1M-row table from PostgreSQL and MariaDB,
# peak memory vs pandas.read_sql, plus the whole ingest_source stage; results in bench/results/.
SQL_BENCH_ROWS ?= 1000000
bench-sql: install
	$(BIN)/python bench/sql_source_bench.py --rows $(SQL_BENCH_ROWS) --ingest-rows $(SQL_BENCH_ROWS)

# A grown export (bench/append_bench.py): APPEND_ROWS rows, then the same file with APPEND_NEW more; the second
# run should store only the new rows and plan no CRM update for unchanged people.
APPEND_ROWS ?= 70000
APPEND_NEW ?= 1000

# Channel readiness in the qualify stage (bench/channels_bench.py): its cost next to the compliance decisions, same run.
bench-channels: install
	$(BIN)/python bench/channels_bench.py --people $(or $(CHANNELS_PEOPLE),200000)

bench-append: install
	$(BIN)/python bench/append_bench.py --rows $(APPEND_ROWS) --append $(APPEND_NEW)
