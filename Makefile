# The front door. `make review` and `make test` set everything up on a fresh machine
# (python3, make and the package registries are all they need).

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSESSMENT ?= assessments/example
OUT ?= reports
JOBS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install lock review lab test test-slow test-all test-fast lint format example notebook-outputs clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The exact versions come from requirements.lock (`make lock` regenerates it), then the
# project itself, editable, with no further resolution.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the locked dependencies and the project

lock: $(STAMP) ## re-resolve requirements.lock from pyproject.toml (Python 3.11, Linux)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --no-header --annotation-style line \
		-o requirements.lock
	@sed -i '1i # The exact versions `make install` puts in .venv (tests and reviews run on these).\n# Regenerate after changing dependencies in pyproject.toml: `make lock`.' requirements.lock

review: $(STAMP) ## run the quarterly review of the example organisation into reports/
	$(BIN)/maturity review $(ASSESSMENT) --out $(OUT) --jobs $(JOBS)

lab: $(STAMP) ## JupyterLab on the explorer (your copy in lab/; headless: LAB_ARGS=--no-browser)
	$(BIN)/python -m maturity.lab $(LAB_ARGS)

test: $(STAMP) ## the test suite: unit, notebooks, nbval, browser (about 20 min on 2 cores)
	$(BIN)/pytest -m "not slow"

test-slow: $(STAMP) ## the slow tier: end-to-end runs, the README walk-through, the wheel
	$(BIN)/pytest tests -m slow

test-all: $(STAMP) ## every tier (what CI runs, via .ci/run)
	$(BIN)/pytest

test-fast: $(STAMP) ## unit tests only: no notebooks, browser or end-to-end runs
	$(BIN)/pytest tests -m "not notebooks and not browser and not slow"

lint: $(STAMP) ## ruff lint and format check, and the type checker (mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

example: $(STAMP) ## regenerate assessments/example from its seeded generator
	$(BIN)/python scripts/make_example.py --out assessments/example

notebook-outputs: $(STAMP) ## refresh the notebook outputs nbval compares
	$(BIN)/python scripts/store_notebook_outputs.py

clean: ## remove generated reports and caches (keeps .venv)
	rm -rf $(OUT) .pytest_cache .ruff_cache .hypothesis
