# Sourced by scripts/test.sh, scripts/train.sh and `make run`: filters the known deprecation
# warnings of third-party packages (list and reasons in lalisa_common/quiet.py) in every Python
# process they start, so the output shows the project's own lines. Real warnings still show.
# shellcheck shell=bash
_quiet="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && .venv/bin/python -m lalisa_common.quiet)"
export PYTHONWARNINGS="${_quiet}${PYTHONWARNINGS:+,$PYTHONWARNINGS}"
unset _quiet
# SQLAlchemy 1.4 (Rasa's pin) warns once per process about Rasa's own 2.0-incompatible code.
export SQLALCHEMY_SILENCE_UBER_WARNING=1
