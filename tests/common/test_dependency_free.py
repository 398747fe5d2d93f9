"""lalisa_common needs only the standard library (SQLAlchemy, PyYAML, cryptography where listed)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lalisa_common"
# The same PyYAML and cryptography versions are pinned in both lock files.
ALLOWED_THIRD_PARTY = {
    "at_rest.py": {"cryptography"},
    "tracker_crypt.py": {"sqlalchemy"},
    "vacuum.py": {"sqlalchemy"},
    "whatsapp/tables.py": {"sqlalchemy"},
    "whatsapp/queue.py": {"sqlalchemy"},
    "whatsapp/statuses.py": {"sqlalchemy"},
    # ON CONFLICT statements with a cache key: SQLAlchemy 1.4 and 2.0 (tests/common runs in both).
    "conflict.py": {"sqlalchemy"},
    "rasa_domain.py": {"yaml"},
    # Citizen keys and the contacts table: both environments have both packages.
    "identity.py": {"sqlalchemy", "cryptography"},
}


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_the_standard_library() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert modules
    for path in modules:
        relative = path.relative_to(PACKAGE).as_posix()
        allowed = set(sys.stdlib_module_names) | {"lalisa_common", "__future__"}
        allowed |= ALLOWED_THIRD_PARTY.get(relative, set())
        assert _imported_roots(path) <= allowed, relative
