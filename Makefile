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

# Every distribution: the core, each package and each Singer tap (`make dist`).
DISTRIBUTIONS := . $(sort $(dir $(wildcard packages/*/pyproject.toml packages/ingestor/taps/*/pyproject.toml)))
DIST ?= dist

.PHONY: install demo test check lint typecheck pytest unit docs upgrade chaos bench emulator browser fontlibs clean dist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# The exact versions come from the committed uv.lock (`make upgrade` refreshes it); the
# workspace's own distributions are then installed editable on top.
$(VENV)/.installed: pyproject.toml uv.lock $(wildcard packages/*/pyproject.toml packages/ingestor/taps/*/pyproject.toml) | $(BIN)/python
	$(BIN)/uv export --quiet --frozen --all-packages --extra dev --no-emit-workspace --no-hashes -o $(VENV)/requirements.txt
	$(UV) -r $(VENV)/requirements.txt -e ".[dev]" $(PACKAGES)
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

# Everything, as CI runs it (.ci/run): lint, types, the API docs, every test (the wheel test
# included). About 15 minutes on two cores.
test: lint typecheck docs pytest

# Everyday work: lint, types and the fast tests (no Meltano runs, no emulator, no browser, no
# wheel builds), spread over every core (pytest-xdist). Under two minutes on two cores.
check: lint typecheck unit

unit: install
	$(BIN)/python -m pytest -q -n auto -m "not slow and not bigquery"

# The API reference (pdoc) of lorchestra.api and every package, into build/api/; any warning
# (an unresolvable annotation, a broken docstring link) fails the build.
docs: install
	rm -rf build/api
	$(BIN)/python -W error -m pdoc --output-directory build/api \
	    lorchestra.api ingestor canonizer final_form reporter sample_data

# Refresh uv.lock to the newest versions the pyproject files allow, then reinstall from it.
upgrade: $(BIN)/python
	$(BIN)/uv lock --upgrade
	rm -f $(VENV)/.installed
	$(MAKE) install

# Fault injection: kill -9 at random points of `run daily`, re-run, compare with a clean run
# (make test runs the same suite with one kill). LORCHESTRA_CHAOS_SEED picks other points.
chaos: install
	LORCHESTRA_CHAOS_KILLS=$${LORCHESTRA_CHAOS_KILLS:-10} $(BIN)/python -m pytest tests/test_chaos.py tests/test_crash_side_effects.py

demo: install fontlibs
	bash tools/demo.sh "$(BIN)" "$(DEMO_HOME)" "$(DEMO_DATA)"

# A wheel and an sdist of every distribution into $(DIST)/ (the wheels carry their package data:
# the Meltano project, definitions, SQL, templates, schemas). Install them anywhere with
# `pip install --find-links dist lorchestra lorchestra-canonizer ...`; docs/quickstart.md.
dist: $(BIN)/python
	rm -rf $(DIST)
	for d in $(DISTRIBUTIONS); do $(BIN)/uv build --quiet --out-dir $(DIST) $$d || exit 1; done

# BENCH_JSON=DIR also writes each module's results document (benchmarks/document.py) there.
bench: install
	$(UV) -e ".[bench]"
	$(BIN)/python -m benchmarks --records-large 1000000 --repeat 3 $(if $(BENCH_JSON),--json $(BENCH_JSON)/benchmarks.json)
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.canonize $(if $(BENCH_JSON),--json $(BENCH_JSON)/canonize.json)
	$(BIN)/python -m benchmarks.pipeline $(if $(BENCH_JSON),--json $(BENCH_JSON)/pipeline.json)
	$(BIN)/python -m benchmarks.reports $(if $(BENCH_JSON),--json $(BENCH_JSON)/reports.json)

clean:
	rm -rf $(VENV) .venv-bqemu .demo dist build
