"""`rasa data validate`, strict: every warning about the data fails.

Rasa reports responses that only custom actions utter (or that a form asks)
as "not used in any story or rule". Those are checked here instead: each must
be named in actions/ or be a form question; a response used nowhere still fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lalisa_common.rasa_domain import domain_path  # noqa: E402

UNUSED = re.compile(r"The utterance '(utter_[\w]+)' is not used in any story or rule")
WARNING = re.compile(r"UserWarning: (.*)")
# Warnings about the machine, not the data: TF_DETERMINISTIC_OPS=1 is set on
# purpose (reproducible CPU training); the warning is about GPUs.
ENVIRONMENT_WARNINGS = (re.compile(r"You have set 'TF_DETERMINISTIC_OPS' to 1"),)


def referenced_in_actions(response: str) -> bool:
    """True when a custom action utters the response (or the form logic in lalisa/ does)."""
    return any(
        f'"{response}"' in path.read_text(encoding="utf-8")
        for folder in ("actions", "lalisa")
        for path in (ROOT / folder).rglob("*.py")
    )


def main() -> int:
    """Runs the validator and applies the strict policy."""
    result = subprocess.run(
        [
            str(ROOT / ".venv-rasa/bin/python"),
            *("-m", "lalisa_rasa", "data", "validate", "--domain", str(domain_path(ROOT))),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    problems = []
    for line in output.splitlines():
        match = WARNING.search(line)
        if not match:
            continue
        message = match.group(1)
        if any(pattern.search(message) for pattern in ENVIRONMENT_WARNINGS):
            continue
        unused = UNUSED.search(message)
        if unused:
            response = unused.group(1)
            if response.startswith("utter_ask_") or referenced_in_actions(response):
                continue
        problems.append(message)
    for problem in problems:
        print(f"validate: {problem}")
    if result.returncode != 0 or problems:
        print(output[-3000:] if result.returncode != 0 else "")
        print("rasa data validate: FAILED")
        return 1
    print("rasa data validate: clean (responses uttered by custom actions checked in actions/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
