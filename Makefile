# The two commands of the quick start: `make run` and `make test`.
# Both set up what they need on a fresh machine (Debian packages, a virtualenv,
# the Serverless Framework) the first time, and skip it afterwards.

VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PORT   ?= 8080
DB     ?= var/progress.sqlite3

.PHONY: setup run test lint bench audio diagram model clean

setup: .setup-stamp

.setup-stamp: pyproject.toml scripts/setup.sh
	./scripts/setup.sh
	touch $@

# The Serverless Framework, for the Lambda packaging test only.
node_modules/.package-lock.json: package-lock.json
	./scripts/setup.sh --node

run: setup
	mkdir -p $(dir $(DB))
	$(BIN)/workout-planner serve --no-verify --port $(PORT) --db $(DB)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint node_modules/.package-lock.json
	$(BIN)/pytest

bench: setup
	./scripts/setup.sh --bench
	$(PY) -m bench

audio: setup
	$(BIN)/workout-planner audio build --engine espeak

diagram: setup
	$(BIN)/workout-planner diagram

model: setup
	$(BIN)/workout-planner model

clean:
	rm -rf $(VENV) node_modules .setup-stamp .pytest_cache .ruff_cache .mypy_cache
