# Outcomes — every entry point. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
WAREHOUSE := data/warehouse.duckdb
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: run test test-slow lint format demo chromium clean help bench bench-large bench-evidently

help:
	@echo "make run    set up, generate the demo when missing, start the app on http://$(HOST):$(PORT)"
	@echo "make test   set up (dev deps + pyspark, Debian chromium + Java 17), ruff, the whole pytest suite"
	@echo "make test-slow  only the slow tests (kill -9 of ingest and build, multi-process)"
	@echo "make demo   regenerate the demo data and rebuild the snapshot"
	@echo "make lint   ruff check + ruff format --check + mypy on outcomes/"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[dev,spark]'
	touch $@

$(WAREHOUSE): | $(STAMP)
	$(PY) -m outcomes demo

run: $(STAMP) $(WAREHOUSE)
	$(VENV)/bin/streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

demo: $(STAMP)
	$(PY) -m outcomes demo --fresh

# Debian's chromium for the browser tests: Playwright drives /usr/bin/chromium (no browser downloads).
chromium:
	@{ command -v chromium && dpkg -s fonts-noto-color-emoji; } >/dev/null 2>&1 || { \
		echo "installing Debian chromium (+ emoji font) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }

# Debian's Java 17 for the Spark engine (outcomes build --engine spark, tests/build/test_spark_*.py).
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "installing Debian openjdk-17-jre-headless for the Spark engine"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

test: $(DEV_STAMP) chromium java
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

# Only the slow tests (also part of `make test`): kill -9 of ingest and build at random moments,
# multi-process and at-size tests.
test-slow: $(DEV_STAMP)
	$(VENV)/bin/pytest -m slow

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check outcomes tests app_pages app.py
	$(VENV)/bin/mypy

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format outcomes tests app_pages app.py

clean:
	rm -rf $(VENV) data/demo data/*.duckdb data/*.duckdb.* data/state.sqlite*

# Benchmarks (issue 7): results in benchmarks/results/latest-<size>.{json,md}; data under
# benchmarks/data/ (git-ignored, generated once and reused). Evidently runs in its own venv
# (it needs pandas < 3); when it cannot be installed the run records it as not run.
EVIDENTLY_VENV := benchmarks/.venv-evidently

bench-evidently:
	@test -x $(EVIDENTLY_VENV)/bin/python || { $(PYTHON) -m venv $(EVIDENTLY_VENV) && \
		$(EVIDENTLY_VENV)/bin/pip install -q 'evidently==0.7.23' 'pandas<3' pyarrow duckdb scipy; } \
		|| { echo "Evidently could not be installed: the benchmark records it as not run"; rm -rf $(EVIDENTLY_VENV); }

bench: $(STAMP)
	-@$(MAKE) --no-print-directory bench-evidently
	$(PY) benchmarks/bench.py --size small

bench-large: $(DEV_STAMP) java
	-@$(MAKE) --no-print-directory bench-evidently
	$(PY) benchmarks/bench.py --size 10m
	$(PY) benchmarks/bench.py --size 100m
	# the Spark engine (local[2]) beside DuckDB on the same raw store (issue 17)
	$(PY) benchmarks/spark_engine.py --size 1m
	$(PY) benchmarks/spark_engine.py --size 10m
