#!/usr/bin/env bash
# make-venv.sh VENV LOCKFILE: (re)creates VENV with Python 3.10 and installs
# exactly the pinned packages of LOCKFILE. A stamp file records the lock's
# hash, so an unchanged environment costs nothing on the next run.
set -euo pipefail
venv="$1"
lock="$2"
stamp="$venv/.lock-sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

python310="$("$(dirname "$0")/find-python310.sh")"
if [[ ! -x "$venv/bin/python" ]]; then
  echo ">> creating $venv with $python310"
  "$python310" -m venv "$venv"
fi
echo ">> installing $lock into $venv (first run takes a few minutes)"
# This machine's pip configuration names package folders that may not exist; pip reports each
# missing one per package ("Location ... is ignored"). Only those notices are dropped.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock" \
  2> >(grep -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$" >&2)
"$venv/bin/python" -m pip check
echo "$want" > "$stamp"
