# The two commands of the README: `make demo` and `make test`. Both set up everything they need on a
# fresh machine: a virtualenv in .venv with the project and its test tools, and (for the tests) Debian's
# `prometheus` package, which brings the real `promtool` and `prometheus` binaries.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint tools golden clean sync-chart image soak

# `make demo PROFILE=real-world`: the simulator answers as real installations do (docs/simulator.md).
demo: $(INSTALLED)
	$(BIN)/eocexporter demo $(if $(PROFILE),--profile $(PROFILE))

test: $(INSTALLED) tools lint
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/render_rules.py --check
	$(BIN)/python tools/build_dashboards.py --check
	$(BIN)/python tools/sync_chart.py --check
	$(BIN)/python tools/metrics_doc.py --check

# The fault probes of tests/faults/, run longer; docs/reliability.md keeps the last run's table.
SOAK_SECONDS ?= 60
SOAK_KILLS ?= 50
soak: $(INSTALLED)
	$(BIN)/python benchmarks/soak.py --seconds $(SOAK_SECONDS) --kills $(SOAK_KILLS)

# Regenerate the golden exposition after an intended change of the output, then review the diff.
golden: $(INSTALLED)
	EOCEXPORTER_UPDATE_GOLDEN=1 $(BIN)/pytest -q -k golden

# Copy alerts/ and dashboards/ into the Helm chart; set its appVersion and the Dockerfile's VERSION.
sync-chart: $(INSTALLED)
	$(BIN)/python tools/sync_chart.py

# The container image (needs a Docker engine, which the project's machines do not have).
image:
	docker build -t eocexporter:local .

tools:
	@command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || { \
		echo "installing Debian's prometheus package (promtool, prometheus)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; \
	}

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "eocexporter needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
