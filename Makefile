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
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= WARNING
export PATH := $(BIN):$(PATH)

.PHONY: install run test lint clean-run

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

install: $(VENV)/.installed

run: install
	@mkdir -p $(AIRFLOW_HOME)
	@$(BIN)/leadpipe demo
	@$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	@$(BIN)/airflow dags test leads_nightly > $(AIRFLOW_HOME)/last-run.log 2>&1 \
		|| ($(BIN)/leadpipe funnel; echo "the run failed; Airflow log: $(AIRFLOW_HOME)/last-run.log"; exit 1)
	@$(BIN)/leadpipe funnel
	@echo "  Airflow log: $(AIRFLOW_HOME)/last-run.log"

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

clean-run:
	rm -rf $(LEADPIPE_HOME) $(AIRFLOW_HOME)
