"""Names the trained model after a hash of everything that shapes it.

`python scripts/model.py path` prints models/lalisa-<hash>.tar.gz. The Makefile
trains only when that file is missing, so an unchanged assistant never
retrains, and any change to config, domain, data, the custom NLU component or
the Rasa lock file does.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = (
    "config.yml",
    "domain.yml",
    "domain",
    "data",
    "lalisa_rasa/nlu",
    "requirements/rasa.lock.txt",
)


def input_files() -> list[Path]:
    """Every file that goes into training, in a stable order."""
    files: list[Path] = []
    for name in INPUTS:
        path = ROOT / name
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.exists():
            files.append(path)
    return sorted(files)


def model_hash() -> str:
    """Hash of the names and contents of the training inputs."""
    digest = hashlib.sha256()
    for path in input_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    """Where the model for the current inputs lives."""
    return ROOT / "models" / f"lalisa-{model_hash()}.tar.gz"


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "path"
    if command == "path":
        print(model_path().relative_to(ROOT))
    elif command == "name":
        print(model_path().name[: -len(".tar.gz")])
    else:
        sys.exit(f"unknown command {command!r}; use 'path' or 'name'")
