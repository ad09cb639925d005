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

# Benchmarks (docs/benchmarks.md): make bench [BENCH_ARGS="--sizes 10k,100k"]. Presidio, the peer
# they are compared with, pins packages this project cannot share, so it gets its own venv.
BENCH_CACHE ?= $(HOME)/.cache/socialaudit-bench
PRESIDIO := $(BENCH_CACHE)/presidio-venv
$(PRESIDIO)/.installed:
	$(PYTHON) -m venv $(PRESIDIO)
	$(PRESIDIO)/bin/pip install --quiet presidio-analyzer==2.2.366
	touch $@

bench: $(STAMP) $(PRESIDIO)/.installed
	@$(BIN)/python -m bench.run --cache $(BENCH_CACHE) --presidio-python $(PRESIDIO)/bin/python $(BENCH_ARGS)

dashboard: $(STAMP)
	$(BIN)/socialaudit dashboard

clean:
	rm -rf $(VENV) data/socialaudit*.duckdb* data/serving
