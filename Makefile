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
.PHONY: help install review test test-fast lint format example notebook-outputs clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev extras

review: $(STAMP) ## run the quarterly review of the example organisation into reports/
	$(BIN)/maturity review $(ASSESSMENT) --out $(OUT) --jobs $(JOBS)

test: $(STAMP) ## run the whole test suite (unit, notebooks, nbval, browser, end to end)
	$(BIN)/pytest

test-fast: $(STAMP) ## unit tests only: no notebooks, browser or end-to-end runs
	$(BIN)/pytest tests -m "not notebooks and not browser and not slow"

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

example: $(STAMP) ## regenerate assessments/example from its seeded generator
	$(BIN)/python scripts/make_example.py --out assessments/example

notebook-outputs: $(STAMP) ## refresh the notebook outputs nbval compares
	$(BIN)/python scripts/store_notebook_outputs.py

clean: ## remove generated reports and caches (keeps .venv)
	rm -rf $(OUT) .pytest_cache .ruff_cache .hypothesis
