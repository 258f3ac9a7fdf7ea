# kgqa — everything installs from nothing into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch must be the CPU build pinned in pyproject.toml; on our machines it lies in /opt/wheels.
PIP_EXTRA := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check $(PIP_EXTRA)

.PHONY: install dev demo test test-fast llm lint format clean chromium

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

# The local model runtime: llama-cpp-python[server], built once from its sdist (no wheel exists for this platform).
# Portable flags: GGML_NATIVE would compile for AMX/AVX-512 that the CPU advertises but the VM traps ("Illegal
# instruction"). The wheel is kept in ~/.cache/kgqa/wheels, keyed by version and flags, so fresh clones reuse it.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE   := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
                 -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
LLAMA_WHEELS  := $(HOME)/.cache/kgqa/wheels/llama-$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CMAKE)' | cksum | cut -d' ' -f1)

$(VENV)/.installed-llm: $(VENV)/.installed
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo "building llama-cpp-python $(LLAMA_VERSION) from source (once; ~10 min on 2 cores)"; \
	  mkdir -p $(LLAMA_WHEELS) && CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/python -m pip wheel -q --no-deps \
	    --no-binary llama-cpp-python --wheel-dir $(LLAMA_WHEELS) "llama-cpp-python==$(LLAMA_VERSION)"; fi
	$(PIP_INSTALL) -q "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl)[server]"
	@touch $@

llm: $(VENV)/.installed-llm  ## local model runtime + the default and the small model (idempotent)
	$(BIN)/kgqa llm install qwen2.5-coder-1.5b
	$(BIN)/kgqa llm install qwen2.5-coder-0.5b

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

test: dev llm  ## the whole test suite against a real (embedded) graph server and a real local model
	$(BIN)/ruff check kgqa tests benchmarks
	$(BIN)/python -m pytest

test-fast: dev  ## the suite without tests marked slow (inner loop)
	$(BIN)/python -m pytest -m "not slow"

lint: dev
	$(BIN)/ruff check kgqa tests benchmarks
	$(BIN)/ruff format --check kgqa tests benchmarks

format: dev
	$(BIN)/ruff check --fix kgqa tests benchmarks
	$(BIN)/ruff format kgqa tests benchmarks

clean:
	-$(BIN)/kgqa graph stop 2>/dev/null
	rm -rf $(VENV) .kgqa .pytest_cache .ruff_cache
