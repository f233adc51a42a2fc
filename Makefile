# Two entry points on a fresh machine: `make demo` and `make test`.
# Both create .venv and install everything the project needs first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint browser worker test demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch==2.13.0 is the CPU wheel on this project's machines (the "model" extra).
	$(PY) -m pip install --quiet -e '.[model,dev,load]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check conformance tests
	$(VENV)/bin/mypy

# The report's browser tests drive Debian's chromium. Install it when missing;
# where apt-get cannot (no root, no mirror) this says so and those tests skip.
browser:
	@test -x /usr/bin/chromium || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; \
	} || echo "chromium could not be installed: the report's browser tests will skip"

# `conformance worker` runs workerd and esbuild from npm, pinned by worker/package-lock.json.
# Installed when npm is there; without it the tests that need workerd skip and say why.
WORKER_STAMP := worker/node_modules/.installed-stamp

$(WORKER_STAMP): worker/package.json worker/package-lock.json
	cd worker && npm ci --no-audit --no-fund --loglevel=error
	touch $(WORKER_STAMP)

worker:
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm is not installed: conformance worker's tests will skip"; \
	else $(MAKE) -s --no-print-directory $(WORKER_STAMP) || \
	  echo "npm ci failed in worker/: conformance worker's tests will skip"; fi

test: lint browser worker
	$(PY) -m pytest

demo: install
	$(VENV)/bin/conformance run

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
