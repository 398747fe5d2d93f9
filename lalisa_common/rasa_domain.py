"""The assistant's Rasa domain as plain data, for code that reads it outside Rasa.

Rasa 3 accepts the domain as one ``domain.yml`` or as a ``domain/`` directory whose YAML files
it merges. Scripts, the back office's review pages and the tests read it through
:func:`load_domain`, so they keep working whichever form the project uses. Rasa itself is given
:func:`domain_path`.

PyYAML is the one third-party import here; both lock files pin the same version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lalisa_common.env import REPO_ROOT

__all__ = ["DomainError", "domain_files", "domain_path", "load_domain"]

_LIST_SECTIONS = ("intents", "entities", "actions")
_MAPPING_SECTIONS = ("responses", "slots", "forms", "session_config", "config")


class DomainError(ValueError):
    """The domain is missing, or two of its files define one thing differently."""


def domain_path(root: Path = REPO_ROOT) -> Path:
    """Where the domain of the project at ``root`` is: ``domain/`` if present, else ``domain.yml``.

    Raises:
        DomainError: Both exist (Rasa would read only the one it is given), or neither.
    """
    directory, file = root / "domain", root / "domain.yml"
    if directory.is_dir() and file.exists():
        raise DomainError(f"both {file} and {directory}/ exist; keep one")
    if directory.is_dir():
        return directory
    if file.is_file():
        return file
    raise DomainError(f"no domain.yml or domain/ in {root}")


def domain_files(path: Path | None = None) -> tuple[Path, ...]:
    """The YAML files of a domain (a file, or a directory searched recursively), in name order."""
    path = domain_path() if path is None else path
    if path.is_dir():
        return tuple(sorted(p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"}))
    return (path,)


def _name(item: Any) -> str:
    # An intent or entity is a bare name or a one-key mapping of its options.
    return str(next(iter(item))) if isinstance(item, dict) else str(item)


def _merge(merged: dict[str, Any], part: dict[str, Any], source: Path) -> None:
    for key, value in part.items():
        if value is None:
            continue
        if key in _LIST_SECTIONS:
            known = {_name(item): item for item in merged.setdefault(key, [])}
            for item in value:
                name = _name(item)
                if name not in known:
                    merged[key].append(item)
                    known[name] = item
                elif known[name] != item:
                    raise DomainError(f"{key}: {name!r} is defined differently in {source}")
        elif key in _MAPPING_SECTIONS:
            section = merged.setdefault(key, {})
            for name, definition in value.items():
                if name in section and section[name] != definition:
                    raise DomainError(f"{key}: {name!r} is defined twice (again in {source})")
                section[name] = definition
        elif key in merged and merged[key] != value:
            raise DomainError(f"{key!r} differs in {source}")
        else:
            merged[key] = value


def load_domain(path: Path | None = None) -> dict[str, Any]:
    """Read the domain as one mapping, merging the files of a ``domain/`` directory like Rasa.

    Lists (``intents``, ``entities``, ``actions``) are joined in file order without repeats;
    mappings (``responses``, ``slots``, ``forms``, ``session_config``) are joined by key.

    Args:
        path: ``domain.yml`` or a ``domain/`` directory; :func:`domain_path` by default.

    Returns:
        The domain as the action server receives it (plain YAML data).

    Raises:
        DomainError: Two files define the same name differently.
    """
    merged: dict[str, Any] = {}
    for file in domain_files(path):
        part = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if not isinstance(part, dict):
            raise DomainError(f"{file} is not a YAML mapping")
        _merge(merged, part, file)
    return merged
