# Everything a new machine needs comes from this project's own files: python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench dashboard clean

# The virtual environment is (re)built whenever the project's dependencies change.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/socialaudit demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/socialaudit rules lint
	$(BIN)/socialaudit rules test
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

dashboard: $(STAMP)
	$(BIN)/socialaudit dashboard

clean:
	rm -rf $(VENV) data/socialaudit*.duckdb* data/serving
