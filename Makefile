# Everything goes through a local virtualenv that the first target creates and later ones reuse.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: start the bot on its embedded default (SQLite in this folder, console output)
run: $(STAMP)
	$(BIN)/commsbot run

## test: lint, type-check and the whole test suite
test: lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check commsbot adapters tests bench
	$(BIN)/ruff format --check commsbot adapters

typecheck: $(STAMP)
	$(BIN)/mypy --strict commsbot adapters

demo: $(STAMP)
	$(BIN)/commsbot demo

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
