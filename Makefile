# wcitsim: `make run` sets up and runs the baseline; `make test` sets up and runs the tests.
# Mesa 3.5 needs Python >= 3.12: we look for one on the PATH (and in pyenv's versions).

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench data reproduce clean help

help:
	@echo "make run    set up .venv and run the baseline scenario"
	@echo "make data   the data report"
	@echo "make test   set up .venv with the dev extra, run ruff and the test suite"
	@echo "make bench  run the benchmarks"
	@echo "make reproduce  re-make every shipped validation and check it is identical (about 40 minutes)"

# Find a Python >= 3.12 that actually runs (pyenv shims exist but may refuse).
PYTHON_FOUND = $(shell for c in $$WCITSIM_PYTHON python3.13 python3.12 python3 python \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  [ -n "$$c" ] || continue; \
	  if "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
	    command -v "$$c"; break; fi; done)

$(PY):
	@if [ -z "$(PYTHON_FOUND)" ]; then \
	  echo "wcitsim needs Python 3.12 or newer (Mesa 3.5 requires it) and none was found: install python3.12 or python3.13, or set WCITSIM_PYTHON=/path/to/python3.12." >&2; \
	  exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON_FOUND)"
	@"$(PYTHON_FOUND)" -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip > /dev/null 2>&1 || true

$(STAMP): pyproject.toml | $(PY)
	@echo "Installing wcitsim with its dev, dist, ema and teach extras into $(VENV)"
	@$(PY) -m pip install --quiet -e '.[dev,dist,ema,teach]' > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

run: $(STAMP)
	@$(VENV)/bin/wcitsim run scenarios/wcit2012.toml

data: $(STAMP)
	@$(VENV)/bin/wcitsim data

lint: $(STAMP)  # ruff, the architecture's import contracts (pyproject.toml), nothing newer than Python 3.12
	@$(VENV)/bin/ruff check wcitsim tests benchmarks tools scenarios/scripts
	@$(VENV)/bin/ruff format --check wcitsim tests benchmarks tools scenarios/scripts
	@$(VENV)/bin/lint-imports --no-cache
	@$(VENV)/bin/vermin -q --no-tips --violations -t=3.12- wcitsim tests benchmarks tools scenarios/scripts  # requires-python

test: lint
	@$(VENV)/bin/python -m pytest -q

bench: $(STAMP)
	@$(VENV)/bin/python benchmarks/run.py
	@$(VENV)/bin/python benchmarks/eu_bench.py
	@$(VENV)/bin/python benchmarks/exchange_bench.py
	@$(VENV)/bin/python benchmarks/memory_bench.py
	@$(VENV)/bin/python benchmarks/class_bench.py
	@$(VENV)/bin/python benchmarks/sweep_bench.py

reproduce: $(STAMP)  # docs/validation's runs from their recorded commands, compared key by key
	@$(VENV)/bin/python tools/reproduce.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
