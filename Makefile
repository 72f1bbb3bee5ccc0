# The two commands: `make demo` sets everything up and runs the tour; `make test` sets
# everything up and runs the test suite. Both work on a fresh Debian with python3, pip, gcc.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint setup bench conformance fuzz clean

# Debian's python3 may lack ensurepip (package python3-venv): then virtualenv, installed
# for this user, makes the environment instead.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  PIP_BREAK_SYSTEM_PACKAGES=1 $(PYTHON) -m pip install --quiet --user virtualenv && \
	  $(PYTHON) -m virtualenv --quiet $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/incref tour

test: lint
	$(BIN)/python -m pytest

# ruff's lint and format check over everything the project ships and tests; mypy on the IR,
# the generic explorer and the composition layer
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src/incref/ir src/incref/checker/explore.py src/incref/compose.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# our own fuzz campaign (tests/fuzzing.py): 100,000 damaged, generated and command-line
# inputs; a summary on stdout and in fuzz-summary.json; exit 1 when any input broke a promise
fuzz: $(STAMP)
	$(BIN)/python tests/fuzzing.py --inputs 100000 --json fuzz-summary.json

conformance: $(STAMP)
	$(BIN)/python benchmarks/conformance.py
	$(BIN)/python benchmarks/conformance_genmc.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
