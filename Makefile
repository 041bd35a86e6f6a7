# parole-stats: `make report` builds everything from the bundled data; `make test` checks it.
# Needs only Python 3.11+ and make: the first run creates .venv and installs into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
LAB    := $(VENV)/.installed-lab
KERNEL := parole-stats

.DEFAULT_GOAL := help
.PHONY: help report ingest test lint lab kernel bench clean distclean

help: ## show this help
	@echo "parole-stats: public US parole statistics as traceable numbers, reports and charts"
	@echo
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	  "parole-stats needs Python 3.11 or newer; found " + sys.version.split()[0] + \
	  " (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) \
	  --display-name "Python ($(KERNEL))" >/dev/null
	@touch $@

$(DEV): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(LAB): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	@touch $@

kernel: $(STAMP) ## (re)register the parole-stats Jupyter kernel for this environment
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) \
	  --display-name "Python ($(KERNEL))"

ingest: $(STAMP) ## verify and parse data/raw into data/processed (Parquet)
	$(BIN)/parole ingest

report: ingest ## ingest the bundled data and render the default reports
	$(BIN)/parole report --default

test: $(DEV) lint ## run the linter and the test suite
	$(BIN)/python -m pytest

lint: $(DEV) ## run ruff on the code and tests
	$(BIN)/ruff check src tests benchmarks

lab: $(LAB) ## open JupyterLab on notebooks/ with the parole-stats kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(DEV) ## run the benchmarks: 10M and 100M case records (slow; prints timings)
	$(BIN)/python benchmarks/bench_analysis.py --rows 10000000 100000000

clean: ## remove generated data and reports
	rm -rf data/processed/*.parquet data/processed/*.json reports/*/ reports/index.*

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
