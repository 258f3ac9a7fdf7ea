# kgqa — everything installs from nothing into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch must be the CPU build pinned in pyproject.toml; on our machines it lies in /opt/wheels.
PIP_EXTRA := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check $(PIP_EXTRA)

.PHONY: install dev demo test lint format clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -q "torch==2.13.0"
	$(PIP_INSTALL) -q -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP_INSTALL) -q -e ".[dev]"
	@touch $@

# Headless Chromium for the explorer's browser test: Debian's package (never `playwright install`).
# Quick no-op when it is already there; needs root (or sudo) the first time.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "warning: chromium is missing and cannot be installed without root; the browser test will be skipped" >&2; fi

install: $(VENV)/.installed  ## runtime install

dev: $(VENV)/.installed-dev chromium  ## runtime + test/lint tools (+ Debian chromium for the browser test)

demo: install  ## build the sample graph and ask sample questions (no key, no Docker)
	$(BIN)/kgqa demo

test: dev  ## the whole test suite against a real (embedded) graph server
	$(BIN)/ruff check kgqa tests benchmarks
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check kgqa tests benchmarks
	$(BIN)/ruff format --check kgqa tests benchmarks

format: dev
	$(BIN)/ruff check --fix kgqa tests benchmarks
	$(BIN)/ruff format kgqa tests benchmarks

clean:
	-$(BIN)/kgqa graph stop 2>/dev/null
	rm -rf $(VENV) .kgqa .pytest_cache .ruff_cache
