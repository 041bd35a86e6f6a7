# parole-stats: `make report` builds everything from the bundled data; `make test` checks it.
# Needs only Python 3.11+ and make: the first run creates .venv and installs into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := parole-stats
# JupyterLab's default kernel, in the environment's own Jupyter config (read by `jupyter lab`)
JUPYTER_CONFIG := $(VENV)/etc/jupyter/jupyter_server_config.d/parole-stats.json
# Exact versions and hashes of every dependency (runtime, dev and lab), for Python 3.11 on
# linux x86_64; `make lock` refreshes it. PIP_QUIET= (empty) shows pip's full output.
LOCK   := requirements.lock
LOCK_PYTHON   ?= 3.11.5
LOCK_PLATFORM ?= x86_64-unknown-linux-gnu
PIP_QUIET     ?= -qq

.DEFAULT_GOAL := help
.PHONY: help report ingest test lint lab kernel bench bench-startup lock chromium clean distclean

help: ## show this help
	@echo "parole-stats: public US parole statistics as traceable numbers, reports and charts"
	@echo
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	  "parole-stats needs Python 3.11 or newer; found " + sys.version.split()[0] + \
	  " (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

# Everything comes from the lock (hash-checked); the project itself is installed without
# dependencies and without build isolation, so its build tools come from the lock too.
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	@echo "installing the locked dependencies into $(VENV) (first run: a few minutes)"
	$(BIN)/python -m pip install $(PIP_QUIET) --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install $(PIP_QUIET) --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) \
	  --display-name "Python ($(KERNEL))" >/dev/null
	@$(MAKE) --no-print-directory $(JUPYTER_CONFIG)
	@touch $@

$(JUPYTER_CONFIG):
	@mkdir -p $(dir $@)
	@printf '{"MappingKernelManager": {"default_kernel_name": "%s"}}\n' $(KERNEL) > $@

lock: | $(BIN)/python ## refresh requirements.lock from pyproject.toml (UPGRADE=1: newest versions)
	$(BIN)/python -m pip install $(PIP_QUIET) 'uv>=0.5'
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' | \
	  $(BIN)/uv pip compile pyproject.toml - --all-extras --generate-hashes --quiet \
	  --python-version $(LOCK_PYTHON) --python-platform $(LOCK_PLATFORM) \
	  --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(LOCK)

kernel: $(STAMP) ## (re)register the parole-stats Jupyter kernel for this environment
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) \
	  --display-name "Python ($(KERNEL))"
	@rm -f $(JUPYTER_CONFIG) && $(MAKE) --no-print-directory $(JUPYTER_CONFIG)

ingest: $(STAMP) ## verify and parse data/raw into data/processed (Parquet)
	$(BIN)/parole ingest

report: ingest ## ingest the bundled data and render the default reports
	$(BIN)/parole report --default

test: $(STAMP) lint ## run the linter and the whole test suite (slow tests included)
	$(BIN)/python -m pytest

.PHONY: check complexity wheel-check
check: $(STAMP) lint ## the quick loop: the linter and every test not marked slow, in parallel
	$(BIN)/python -m pytest -m "not slow" -n auto -q

complexity: $(STAMP) ## list functions over the size limits (complexity 12, 50 statements)
	$(BIN)/ruff check src --select C901,PLR0915 --config 'lint.mccabe.max-complexity=12'

# The wheel as a user gets it: built from the checkout's files with the locked build tools,
# installed (without dependencies) into a new virtual environment outside the checkout that
# reads the locked dependencies of $(VENV) (and nbconvert's templates); then `parole init`,
# `parole ingest` and one report run in an empty folder.
wheel-check: $(STAMP) ## build the wheel, install it outside the checkout, ingest and render there
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir "$$tmp/src" "$$tmp/project"; \
	git ls-files -co --exclude-standard -z | xargs -0 tar -cf - | tar -xf - -C "$$tmp/src"; \
	$(BIN)/python -m pip wheel $(PIP_QUIET) --no-deps --no-build-isolation -w "$$tmp/dist" \
	  "$$tmp/src"; \
	$(BIN)/python -m venv --without-pip "$$tmp/venv"; \
	$(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))' > \
	  "$$("$$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/locked.pth"; \
	$(BIN)/python -m pip --python "$$tmp/venv/bin/python" install $(PIP_QUIET) --no-deps \
	  "$$tmp"/dist/*.whl; \
	mkdir -p "$$tmp/venv/share/jupyter"; \
	ln -s "$(abspath $(VENV))/share/jupyter/nbconvert" "$$tmp/venv/share/jupyter/nbconvert"; \
	cd "$$tmp/project"; \
	env -u PYTHONPATH "$$tmp/venv/bin/python" -c 'import analysis, sys; \
	  assert analysis.__file__.startswith(sys.prefix), analysis.__file__'; \
	env -u PYTHONPATH -u PAROLE_STATS_ROOT "$$tmp/venv/bin/parole" init .; \
	env -u PYTHONPATH -u PAROLE_STATS_ROOT "$$tmp/venv/bin/parole" ingest -q; \
	env -u PYTHONPATH -u PAROLE_STATS_ROOT "$$tmp/venv/bin/parole" report national_overview -q; \
	test -s reports/national_overview/*.html && test -s reports/index.html; \
	echo "wheel-check: the installed wheel ingested the bundled data and rendered a report"

lint: $(STAMP) ## run ruff on the code and tests
	$(BIN)/ruff check src tests benchmarks

# As root (a container), JupyterLab refuses to start without --allow-root; the flag is added
# only then. The parole-stats kernel is the default (JUPYTER_CONFIG, and on the command line).
lab: $(STAMP) $(JUPYTER_CONFIG) ## open JupyterLab on notebooks/ with the parole-stats kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks \
	  --MappingKernelManager.default_kernel_name=$(KERNEL) \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP) ## run the benchmarks: 10M and 100M case records (slow; prints timings)
	$(BIN)/python benchmarks/bench_analysis.py --rows 10000000 100000000

bench-startup: $(STAMP) ## time `parole --help/--version/check` and `import analysis` (needs ingest)
	$(BIN)/python benchmarks/bench_startup.py

chromium: ## install Debian's chromium (for the browser test) when it is absent
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is absent and cannot be installed here (needs root and apt-get);" \
	  "the browser test will be skipped"; fi

clean: ## remove generated data and reports
	rm -rf data/processed/*.parquet data/processed/*.json reports/*/ reports/index.*

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
