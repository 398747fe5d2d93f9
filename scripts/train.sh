#!/usr/bin/env bash
# Trains the assistant unless a model for the current inputs already exists.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/quiet-warnings.sh
# Reproducible training as under make (Makefile): without these, two trainings of the same
# inputs give different DIET weights (docs/nlu.md, "DIET varies between trainings").
export TF_DETERMINISTIC_OPS=1 PYTHONHASHSEED=0
model="$(.venv-rasa/bin/python scripts/model.py path)"
if [[ -f "$model" ]]; then
  echo ">> model up to date: $model"
  exit 0
fi
name="$(.venv-rasa/bin/python scripts/model.py name)"
echo ">> training $model (inputs changed; takes a few minutes on 2 cores)"
start=$(date +%s)
# domain.yml or a domain/ directory, whichever the project uses.
domain="$(.venv-rasa/bin/python -c 'from lalisa_common.rasa_domain import domain_path; print(domain_path())')"
.venv-rasa/bin/python -m lalisa_rasa train --domain "$domain" --fixed-model-name "$name" --out models --quiet
echo ">> trained in $(( $(date +%s) - start )) s"
# Keep the three newest models; older ones are never loaded again.
ls -1t models/lalisa-*.tar.gz 2>/dev/null | tail -n +4 | xargs -r rm -f
