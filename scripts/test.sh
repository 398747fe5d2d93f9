#!/usr/bin/env bash
# Runs every test layer, cheapest first. `scripts/test.sh <layer>` runs one.
# Layers: lint unit rasa validate stories nlu conversations e2e. Exits non-zero on the first
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quiet-warnings.sh

model="$(.venv-rasa/bin/python scripts/model.py path)"
results="results"
mkdir -p "$results"

step() { printf '\n==== %s ====\n' "$1"; }

layer_lint() {
  step "ruff + mypy + import contract"
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  .venv/bin/mypy
  .venv/bin/mypy --config-file mypy-rasa.ini
  .venv/bin/lint-imports --no-cache
}

layer_unit() {
  step "pytest: domain package, shared package, actions, back office, outbox (SQLite${DATABASE_URL:+ and PostgreSQL})"
  local suites=(tests/unit tests/common)
  for suite in tests/backoffice tests/notifications; do
    [[ -d $suite ]] && suites+=("$suite")
  done
  .venv/bin/python -m pytest "${suites[@]}" -q -p no:cacheprovider
}

layer_rasa() {
  step "pytest: Rasa-process plugins (NLU component, stores, WhatsApp channel) and the shared package"
  local suites=(tests/rasa_plugins tests/common)
  [[ -d tests/channel ]] && suites+=(tests/channel)
  .venv-rasa/bin/python -m pytest "${suites[@]}" -q -p no:cacheprovider
}

layer_validate() {
  step "rasa data validate"
  .venv-rasa/bin/python scripts/validate_data.py
  .venv-rasa/bin/python scripts/build_nusax_oos.py --check
}

layer_stories() {
  step "test stories (--fail-on-prediction-errors)"
  .venv-rasa/bin/python -m lalisa_rasa test core --model "$model" --stories tests/stories \
    --fail-on-prediction-errors --out "$results/stories" --quiet
}

layer_nlu() {
  step "NLU hold-out set and NusaX test split (never trained on)"
  .venv-rasa/bin/python scripts/score_nlu.py --model "$model" --data tests/nlu_holdout.yml \
    --offtopic tests/corpora/nusax --split test --out "$results/nlu_holdout.json"
}

layer_conversations() {
  step "simulated citizens: whole conversations with the real servers (gate: success >= 0.95, loop guard <= 1 per persona)"
  .venv/bin/python -m tests.conversations --out "$results/conversations.json" \
    --transcripts "$results/conversations"
}

layer_e2e() {
  step "end to end over HTTP: real Rasa + action servers; attacker tests on a production-profile stack"
  .venv/bin/python -m pytest tests/e2e tests/security -q -p no:cacheprovider
}

if [[ $# -gt 0 ]]; then
  for layer in "$@"; do "layer_$layer"; done
  exit 0
fi

layers=(lint unit rasa validate stories nlu conversations e2e)
for layer in "${layers[@]}"; do
  "layer_$layer"
done
printf '\nAll test layers passed.\n'
