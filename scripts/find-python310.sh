#!/usr/bin/env bash
# Prints the path of a working Python 3.10 interpreter: python3.10 on PATH
# first, then pyenv's versions. Rasa 3.6 supports Python <= 3.10 only.
set -euo pipefail

try() {
  "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' 2>/dev/null
}

if command -v python3.10 >/dev/null 2>&1 && try python3.10; then
  exit 0
fi

pyenv_root="$( (command -v pyenv >/dev/null 2>&1 && pyenv root) || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
for candidate in $(ls -d "$pyenv_root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
  if try "$candidate"; then
    exit 0
  fi
done

cat >&2 <<'MSG'
ERROR: Python 3.10 was not found.
La-Lisa needs Python 3.10 (Rasa 3.6 supports Python 3.8-3.10 only).
Install it and run make again, for example:
  pyenv install 3.10        (then it is found under $(pyenv root)/versions/3.10.*)
or put a python3.10 executable on PATH (Ubuntu 22.04: apt install python3.10 python3.10-venv).
MSG
exit 1
