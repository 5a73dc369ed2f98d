# Everything goes through a local virtualenv that the first target creates and later ones reuse.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench demo clean package-test image-test

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
	$(BIN)/ruff check commsbot adapters tests bench deploy
	$(BIN)/ruff format --check commsbot adapters deploy
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy --strict commsbot adapters tests

demo: $(STAMP)
	$(BIN)/commsbot demo

## package-test: build the sdist and wheel, install the wheel in a new virtualenv outside this
## folder and run the bot from it (CI runs it after `make test`)
package-test: $(STAMP)
	$(BIN)/python deploy/package_test.py

## image-test: build the container image with podman from the Containerfile and run it
image-test: $(STAMP)
	$(BIN)/python deploy/image_test.py $(IMAGE_TEST_FLAGS)

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
