# Set-up commands: `make demo` (the main job, offline) and `make test` (the whole suite).
# Each creates .venv itself. torch 2.13.0 (CPU) is installed before anything that needs it,
# and constraints.txt pins every version we tested, so no range can pull a CUDA build.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
CONSTRAINTS := constraints.txt
DEMO_COLLECTION ?= build/demo-collection

.PHONY: demo test lint lab install install-dev bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned: the CPU wheel that lies on these machines
$(VENV)/.torch: $(BIN)/python $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) "torch==2.13.0"
	touch $@

$(VENV)/.installed: $(VENV)/.torch pyproject.toml $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[local,aws,analysis]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[local,aws,analysis,dev]"
	touch $@

# headless Chromium (Debian's package) for the test that opens an exported map
$(VENV)/.chromium: $(BIN)/python
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	touch $@

$(VENV)/.installed-lab: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[local,aws,lab]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/nova-toolkit embed data/sample --collection $(DEMO_COLLECTION) --no-progress
	$(BIN)/nova-toolkit info --collection $(DEMO_COLLECTION)
	@set -e; search() { echo; echo "== $$1"; shift; \
	  $(BIN)/nova-toolkit search --collection $(DEMO_COLLECTION) --top-k 3 "$$@"; }; \
	search "text -> image: a cat curled up asleep" --text "a cat curled up asleep" --filter '{"modality": "image"}'; \
	search "text -> video: a rocket on the launch pad" --text "a rocket on the launch pad" --filter '{"modality": "video"}'; \
	search "text -> audio: someone ordering an espresso" --text "someone ordering an espresso" --filter '{"modality": "audio"}'; \
	search "text -> document page: how to sail a small boat" --text "how to sail a small boat" --filter '{"modality": "document"}'; \
	search "image -> video: data/sample/images/rocket.webp" --file data/sample/images/rocket.webp --filter '{"modality": "video"}'; \
	search "audio -> text: data/sample/audio/espresso-order.mp3" --file data/sample/audio/espresso-order.mp3 --filter '{"modality": "text"}'; \
	search "full text (BM25 over snippets): locomotive" --text "locomotive" --mode text; \
	search "hybrid (vector + BM25, RRF): steam train at the platform" --text "steam train at the platform" --mode hybrid
	@echo
	$(BIN)/nova-toolkit map --collection $(DEMO_COLLECTION) --out build/demo-map.html --color-by cluster

test: install-dev $(VENV)/.chromium
	$(BIN)/python -m ruff check nova_toolkit tests benchmarks notebooks
	$(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/python -m ruff check nova_toolkit tests benchmarks notebooks

bench: install-dev
	$(BIN)/python benchmarks/bench_store.py
	$(BIN)/python benchmarks/bench_index.py
	$(BIN)/python benchmarks/bench_cache.py

# JupyterLab on the notebooks (.ipynb, outputs stripped)
lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab notebooks/

# the README's screenshots (docs/screenshot-*.png): map, gallery, notebook, in headless Chromium,
# from the sample library's collection that `make demo` builds (embedded first if missing)
docs: install-dev $(VENV)/.chromium
	$(BIN)/python docs/make_screenshots.py --collection $(DEMO_COLLECTION)

clean:
	rm -rf build $(VENV) .pytest_cache .ruff_cache
