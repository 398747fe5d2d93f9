"""A fingerprint of this package's source, so that a code change retrains the components.

Rasa caches every trained graph node under a fingerprint of its class name, its
configuration and its inputs, not of its code: after a fix to ``linear_text.py``,
``rasa train`` would reuse the component trained by the old code from the cache
(``.rasa/cache``). Each custom component returns :func:`source_fingerprint` from
``fingerprint_addon``, so any edit of a module in ``lalisa_rasa/nlu`` invalidates
their cached results (``scripts/model.py`` hashes the same directory for the model name).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def directory_fingerprint(directory: Path) -> str:
    """Hash of the names and contents of the Python modules in ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """Fingerprint of this package's source, computed once per process."""
    return directory_fingerprint(PACKAGE)
