# The two commands of the README: `make demo` and `make test`. Both set up what they need on a fresh
# machine, in one virtualenv (.venv) with a stamp per install: `make demo` installs the exporter alone
# (its runtime dependencies), `make test` the exporter with its test extras (pytest, pandas, DuckDB, moto,
# ruff, ...) and Debian's `prometheus` package, which brings the real `promtool` and `prometheus` binaries.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_INSTALLED := $(VENV)/.installed-demo
TEST_INSTALLED := $(VENV)/.installed-test
# A virtualenv with the test extras has everything the demo needs: `make demo` does not install again.
DEMO_NEEDS := $(if $(wildcard $(TEST_INSTALLED)),$(TEST_INSTALLED),$(DEMO_INSTALLED))
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
PYTEST = $(BIN)/pytest --durations=10
# Runs one stage of `make test` and says how long it took; the stage's exit status is its own.
STAGE := sh tools/stage

.PHONY: demo test lint tools golden clean sync-chart image soak

# `make demo [LISTEN=HOST:PORT] [SIM_LISTEN=HOST:PORT] [PROFILE=real-world] [ARGS='--cameras 500 ...']`:
# the exporter on LISTEN (default 127.0.0.1:10070), the simulator's main server on SIM_LISTEN (default a
# free port), PROFILE=real-world answering as real installations do (docs/simulator.md); ARGS go to
# `eocexporter demo` as they are.
demo: $(DEMO_NEEDS)
	$(BIN)/eocexporter demo $(if $(LISTEN),--listen $(LISTEN)) $(if $(SIM_LISTEN),--simulator-listen $(SIM_LISTEN)) $(if $(PROFILE),--profile $(PROFILE)) $(ARGS)

# Four stages, each announced and timed (tools/stage); the first that fails stops the run with its status
# (pytest's 5, "no tests collected", included).
test:
	@echo "make test: stages install, tools, lint, tests"
	@$(STAGE) install $(MAKE) --no-print-directory $(TEST_INSTALLED)
	@$(STAGE) tools $(MAKE) --no-print-directory tools
	@$(STAGE) lint $(MAKE) --no-print-directory lint
	@$(STAGE) tests $(PYTEST)

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/render_rules.py --check
	$(BIN)/python tools/build_dashboards.py --check
	$(BIN)/python tools/sync_chart.py --check
	$(BIN)/python tools/metrics_doc.py --check

# The fault probes of tests/faults/, run longer; docs/reliability.md keeps the last run's table. Then the
# SIGKILL loop of tests/test_parquet_crash.py with SOAK_CRASH_KILLS kills (`make test` runs it with 3).
SOAK_SECONDS ?= 60
SOAK_KILLS ?= 50
SOAK_CRASH_KILLS ?= 8
soak: $(TEST_INSTALLED)
	$(BIN)/python benchmarks/soak.py --seconds $(SOAK_SECONDS) --kills $(SOAK_KILLS)
	PARQUET_CRASH_KILLS=$(SOAK_CRASH_KILLS) $(BIN)/pytest -q -p no:cacheprovider tests/test_parquet_crash.py

# Regenerate the golden exposition after an intended change of the output, then review the diff.
golden: $(TEST_INSTALLED)
	EOCEXPORTER_UPDATE_GOLDEN=1 $(BIN)/pytest -q -k golden

# Copy alerts/ and dashboards/ into the Helm chart; set its appVersion and the Dockerfile's VERSION.
sync-chart: $(TEST_INSTALLED)
	$(BIN)/python tools/sync_chart.py

# The container image (needs a Docker engine, which the project's machines do not have).
image:
	docker build -t eocexporter:local .

# Debian's packages the tests run for real: prometheus (promtool, prometheus) and chromium (the status
# page's browser test), each installed when absent, with one apt-get update for both.
tools:
	@missing=""; \
	{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing="prometheus"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian's packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "eocexporter needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

# The exporter and its runtime dependencies only (all wheels). --no-compile: Python compiles the modules
# the demo imports when it first imports them, instead of pip compiling every module of every package.
$(DEMO_INSTALLED): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) --no-compile -e .
	touch $@

$(TEST_INSTALLED): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
