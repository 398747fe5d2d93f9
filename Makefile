# La-Lisa: `make run` starts everything, `make test` runs every test.
# Both set up whatever is missing first (virtualenvs, migrations, model).
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV := .venv-rasa
APP_VENV := .venv
APP_PY := $(APP_VENV)/bin/python
RASA_PY := $(RASA_VENV)/bin/python

# No telemetry, no downloads, quiet TensorFlow, reproducible training.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_DETERMINISTIC_OPS := 1
export PYTHONHASHSEED := 0
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export SANIC_REGISTER := False

.PHONY: help run test setup envs migrate train browser lint types test-unit test-rasa \
        test-stories test-nlu test-conversations test-e2e validate lock bench clean

help:
	@echo "make run    set up on first use, then start La-Lisa (Ctrl-C stops it)"
	@echo "make test   set up on first use, then run every test"
	@echo "make bench  print performance figures"
	@echo "make lint   ruff + mypy + import contract"

run: setup train
	@$(APP_PY) scripts/run.py

test: setup train browser
	@bash scripts/test.sh

setup: envs migrate

envs: $(RASA_VENV)/.lock-sha256 $(APP_VENV)/.lock-sha256

$(RASA_VENV)/.lock-sha256: requirements/rasa.lock.txt
	@scripts/make-venv.sh $(RASA_VENV) requirements/rasa.lock.txt

$(APP_VENV)/.lock-sha256: requirements/app.lock.txt
	@scripts/make-venv.sh $(APP_VENV) requirements/app.lock.txt

migrate: envs
	@$(APP_PY) -m lalisa.migrate
	@$(APP_PY) -m lalisa_common.tracker_crypt
	@$(APP_PY) -m lalisa.tickets.submission_keys

train: envs
	@scripts/train.sh

browser:
	@scripts/ensure-chromium.sh

validate: envs
	@$(RASA_PY) scripts/validate_data.py

lint: envs
	@$(APP_VENV)/bin/ruff check .
	@$(APP_VENV)/bin/ruff format --check .
	@$(APP_VENV)/bin/mypy
	@$(APP_VENV)/bin/mypy --config-file mypy-rasa.ini
	@$(APP_VENV)/bin/lint-imports --no-cache

test-unit: setup
	@$(APP_PY) -m pytest tests/unit tests/common -q

test-rasa: setup
	@$(RASA_PY) -m pytest tests/rasa_plugins tests/common tests/channel -q

test-stories: setup train
	@bash scripts/test.sh stories

test-nlu: setup train
	@bash scripts/test.sh nlu

test-conversations: setup train
	@bash scripts/test.sh conversations

test-e2e: setup train
	@$(APP_PY) -m pytest tests/e2e -q

# Regenerates the lock files from requirements/*.in (needs the registries).
lock:
	@scripts/lock.sh

# BENCH_ARGS="--quick" for a smoke run; see scripts/bench.py --help and docs/benchmarks.md.
bench: setup train
	@$(APP_PY) scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(RASA_VENV) $(APP_VENV) models .rasa results .pytest_cache .mypy_cache .ruff_cache
