# Two entry points on a fresh machine: `make demo` and `make test`.
# Both create .venv and install everything the project needs first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint test demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch==2.13.0 is the CPU wheel on this project's machines (the "model" extra).
	$(PY) -m pip install --quiet -e '.[model,dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check conformance tests
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest

demo: install
	$(VENV)/bin/conformance cases --format table

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
