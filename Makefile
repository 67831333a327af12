# lorchestra: `make demo` runs the pipeline on synthetic data, `make test` runs every test.
# Everything installs into .venv/ (and the BigQuery emulator into .venv-bqemu/) from PyPI.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Bytecode is compiled at install time: with PYTHONDONTWRITEBYTECODE set (as on CI), every
# start of lorchestra or Meltano would otherwise recompile its imports from source (~2 s).
UV := $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python
# The workspace packages, and the Singer taps (their unit tests import them here; Meltano gives
# each tap its own virtualenv for real runs).
PACKAGES := $(foreach p,$(wildcard packages/*/pyproject.toml packages/ingestor/taps/*/pyproject.toml),-e $(dir $(p)))
DEMO_HOME ?= $(CURDIR)/.demo/home
DEMO_DATA := $(CURDIR)/.demo/data

.PHONY: install demo test lint typecheck pytest chaos bench emulator browser fontlibs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml $(wildcard packages/*/pyproject.toml packages/ingestor/taps/*/pyproject.toml) | $(BIN)/python
	$(UV) -e ".[dev]" $(PACKAGES)
	touch $@

install: $(VENV)/.installed

emulator:
	PYTHON=$(PYTHON) bash tools/bqemulator/install.sh

# Headless Chromium (Debian's package) for the tests that open HTML reports in a real browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# HarfBuzz-Subset (Debian's package) for WeasyPrint's font subsetting; without it WeasyPrint falls
# back to fontTools, and the reporter embeds whole fonts instead (larger PDFs).
fontlibs:
	@ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libharfbuzz-subset0 >/dev/null; }

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install emulator browser fontlibs
	$(BIN)/python -m pytest

test: lint typecheck pytest

# Fault injection: kill -9 at random points of `run daily`, re-run, compare with a clean run
# (make test runs the same suite with one kill). LORCHESTRA_CHAOS_SEED picks other points.
chaos: install
	LORCHESTRA_CHAOS_KILLS=$${LORCHESTRA_CHAOS_KILLS:-10} $(BIN)/python -m pytest tests/test_chaos.py

demo: install fontlibs
	bash tools/demo.sh "$(BIN)" "$(DEMO_HOME)" "$(DEMO_DATA)"

bench: install
	$(UV) -e ".[bench]"
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.canonize

clean:
	rm -rf $(VENV) .venv-bqemu .demo
