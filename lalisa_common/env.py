r"""Configuration from the process environment and the repository's ``.env`` file.

Every process of La-Lisa, in both environments, reads its variables through :func:`read_env`:
the ``.env`` file named by ``LALISA_ENV_FILE`` (default ``<repo>/.env``; an empty value reads
no file), overlaid by the process environment, which always wins. A deployment can therefore
override a developer's file without editing it.

The file format is the one of python-dotenv (``tests/common`` compares the two):

* ``NAME=value`` per line, optionally ``export NAME=value``; spaces around ``=`` are ignored;
  blank lines and lines starting with ``#`` are skipped;
* unquoted values end at a ``#`` that follows whitespace (a comment) and are trimmed;
* ``'single quoted'`` values understand ``\'`` and ``\\``; ``"double quoted"`` values also
  ``\n``, ``\t``, ``\"`` …; both may span several lines;
* ``${NAME}`` and ``${NAME:-default}`` are replaced by a variable defined earlier in the file,
  else by the process environment, else the default;
* a bare ``NAME`` line defines the variable without a value (``None``).

Typed values are read with the ``env_*`` helpers below (whole numbers, numbers, flags,
lists, ports, durations): one set of rules and one error, :class:`SettingsError`, whose message
names the variable. ``lalisa.core.settings`` builds every app-side section with them, and the
Rasa-side readers (``lalisa_rasa``, ``sandbox``) use the same functions.
"""

from __future__ import annotations

import codecs
import math
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Literal

__all__ = [
    "ENV_FILE_VARIABLE",
    "REPO_ROOT",
    "SettingsError",
    "default_env_file",
    "env_bool",
    "env_duration",
    "env_float",
    "env_int",
    "env_list",
    "env_port",
    "env_value",
    "media_dir",
    "parse_env_text",
    "read_env",
    "read_env_file",
    "resolve_path",
    "var_dir",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
"""Repository root; relative paths in settings are resolved against it, not the CWD."""
ENV_FILE_VARIABLE = "LALISA_ENV_FILE"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A variable holds a value that cannot be used; the message names the variable."""


_KEY = re.compile(r"(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*")
_VARIABLE = re.compile(r"\$\{(?P<name>[^}:]+)(?::-(?P<default>[^}]*))?\}")
_SINGLE_QUOTED = re.compile(r"'((?:\\'|[^'])*)'", re.S)
_DOUBLE_QUOTED = re.compile(r'"((?:\\"|[^"])*)"', re.S)
_SINGLE_ESCAPES = re.compile(r"\\[\\']")
_DOUBLE_ESCAPES = re.compile(r"\\[\\'\"abfnrtv]")
_LINE_END = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\n|\Z)")


def _decode(escapes: re.Pattern[str], value: str) -> str:
    return escapes.sub(lambda m: codecs.decode(m.group(0), "unicode-escape"), value)


def _expand(value: str, known: Mapping[str, str | None], environ: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        found = known[name] if name in known else environ.get(name)
        return found if found else (match.group("default") or "")

    return _VARIABLE.sub(replace, value)


def _value_at(text: str, pos: int, raw_start: int) -> tuple[str, int] | None:
    """Read the value at ``pos`` (``raw_start``: just after ``=``), and where its line ends."""
    for pattern, escapes in ((_SINGLE_QUOTED, _SINGLE_ESCAPES), (_DOUBLE_QUOTED, _DOUBLE_ESCAPES)):
        quoted = pattern.match(text, pos)
        if quoted is not None:
            end = _LINE_END.match(text, quoted.end())
            if end is None:
                return None
            return _decode(escapes, quoted.group(1)), end.end()
    newline = text.find("\n", pos)
    line_end = len(text) if newline < 0 else newline
    # A comment needs whitespace before "#", which may be the space right after "=".
    raw = re.split(r"[ \t]+#", text[raw_start:line_end], maxsplit=1)[0]
    return raw.strip(), min(len(text), line_end + 1)


def parse_env_text(text: str, environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Parse the text of a ``.env`` file (format in the module documentation).

    Args:
        text: The file's content.
        environ: Where ``${NAME}`` looks after the file's own earlier values; defaults to
            :data:`os.environ`.

    Returns:
        The variables in file order (``None`` for a bare ``NAME`` line). A line that is not an
        assignment is skipped.
    """
    process_env = os.environ if environ is None else environ
    text = text.replace("\r\n", "\n")
    values: dict[str, str | None] = {}
    pos = 0
    while pos < len(text):
        newline = text.find("\n", pos)
        line_end = len(text) if newline < 0 else newline
        next_line = min(len(text), line_end + 1)
        start = pos + len(text[pos:line_end]) - len(text[pos:line_end].lstrip(" \t"))
        key = _KEY.match(text, start)
        if start == line_end or text.startswith("#", start) or key is None:
            pos = next_line
            continue
        after_key = key.end()
        if text.startswith("=", after_key):
            value_start = after_key + 1
            while value_start < line_end and text[value_start] in " \t":
                value_start += 1
            read = _value_at(text, value_start, after_key + 1)
            if read is None:
                pos = next_line
                continue
            raw, pos = read
            values[key.group(1)] = _expand(raw, values, process_env)
        elif _LINE_END.match(text, after_key) is not None:
            values[key.group(1)] = None
            pos = next_line
        else:
            pos = next_line
    return values


def read_env_file(
    path: Path | None, environ: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """Read a ``.env`` file; a missing file (or ``None``) gives no variables.

    Args:
        path: The file.
        environ: See :func:`parse_env_text`.

    Returns:
        The variables of the file.
    """
    if path is None or not path.is_file():
        return {}
    return parse_env_text(path.read_text(encoding="utf-8"), environ)


def resolve_path(value: str, base: Path = REPO_ROOT) -> Path:
    """Resolve a configured path: ``~`` expanded, relative paths against ``base``."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def default_env_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the ``.env`` file to read: ``LALISA_ENV_FILE`` if set, else ``<repo>/.env``.

    Args:
        environ: Process environment; defaults to :data:`os.environ`.

    Returns:
        The path, or ``None`` when ``LALISA_ENV_FILE`` is set but empty (tests use this to
        keep a developer's ``.env`` out of the way).
    """
    value = (os.environ if environ is None else environ).get(ENV_FILE_VARIABLE)
    if value is None:
        return REPO_ROOT / ".env"
    return resolve_path(value) if value.strip() else None


def read_env(
    environ: Mapping[str, str] | None = None,
    env_file: Path | Literal["default"] | None = "default",
) -> dict[str, str | None]:
    """Merge the ``.env`` file and the process environment (the process environment wins).

    Args:
        environ: Process environment; defaults to :data:`os.environ`.
        env_file: Path of the ``.env`` file, ``None`` to read no file, or ``"default"`` for
            :func:`default_env_file`. A missing file is fine.

    Returns:
        The variables, as strings (``None`` for a bare ``NAME`` line in the file).
    """
    process_env = os.environ if environ is None else environ
    path = default_env_file(process_env) if env_file == "default" else env_file
    return {**read_env_file(path, process_env), **process_env}


def env_value(env: Mapping[str, str | None], name: str, default: str = "") -> str:
    """One variable, trimmed; unset or empty (``FOO=``) means ``default``.

    Args:
        env: Variables from :func:`read_env`.
        name: The variable.
        default: Value when it is unset or empty.

    Returns:
        The value.
    """
    value = env.get(name)
    if value is None:
        return default
    value = value.strip()
    return value if value else default


def var_dir(env: Mapping[str, str | None]) -> Path:
    """The folder for runtime data (``LALISA_VAR_DIR``, default ``<repo>/var``)."""
    return resolve_path(env_value(env, "LALISA_VAR_DIR", "var"))


def media_dir(env: Mapping[str, str | None]) -> Path:
    """Where WhatsApp media and field photos are stored (``LALISA_MEDIA_DIR``, ``<var>/media``)."""
    return resolve_path(env_value(env, "LALISA_MEDIA_DIR", str(var_dir(env) / "media")))


def env_int(
    env: Mapping[str, str | None],
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """A whole number; unset or empty means ``default``.

    Args:
        env: Variables from :func:`read_env`.
        name: The variable.
        default: Value when it is unset or empty (not range-checked).
        minimum: Smallest accepted value.
        maximum: Largest accepted value.

    Returns:
        The value.

    Raises:
        SettingsError: Not a whole number, or out of range.
    """
    raw = env_value(env, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, got {value}")
    return value


def env_float(
    env: Mapping[str, str | None],
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    positive: bool = False,
) -> float:
    """A finite number; unset or empty means ``default``.

    Args:
        env: Variables from :func:`read_env`.
        name: The variable.
        default: Value when it is unset or empty.
        minimum: Smallest accepted value.
        positive: Refuse 0 and negative values.

    Returns:
        The value.

    Raises:
        SettingsError: Not a finite number, or out of range.
    """
    raw = env_value(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if positive and value <= 0:
        raise SettingsError(f"{name} must be greater than 0, got {raw!r}")
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def env_bool(env: Mapping[str, str | None], name: str, default: bool) -> bool:
    """A flag: ``1/true/yes/on`` or ``0/false/no/off`` (any case); unset or empty: ``default``.

    Raises:
        SettingsError: Any other value (a typo must not silently flip a safety switch).
    """
    raw = env_value(env, name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {raw!r}")


def env_list(env: Mapping[str, str | None], name: str) -> tuple[str, ...]:
    """A list separated by commas or semicolons, items trimmed, empty items dropped."""
    raw = env_value(env, name)
    return tuple(item.strip() for item in re.split(r"[,;]", raw) if item.strip())


def env_port(env: Mapping[str, str | None], name: str, default: int) -> int:
    """A TCP port (1-65535).

    Raises:
        SettingsError: Not a whole number between 1 and 65535.
    """
    return env_int(env, name, default, minimum=1, maximum=65535)


def env_duration(
    env: Mapping[str, str | None],
    name: str,
    default: timedelta,
    *,
    unit: timedelta = timedelta(minutes=1),
    minimum: int = 1,
) -> timedelta:
    """A duration given as a whole number of ``unit`` (the unit is part of the variable's name).

    Args:
        env: Variables from :func:`read_env`.
        name: The variable, e.g. ``BACKOFFICE_LOCKOUT_MINUTES``.
        default: Duration when it is unset or empty.
        unit: What one counts (a minute, an hour, a day).
        minimum: Smallest accepted count.

    Returns:
        The duration.

    Raises:
        SettingsError: Not a whole number, or below ``minimum``.
    """
    raw = env_value(env, name)
    if not raw:
        return default
    return env_int(env, name, 0, minimum=minimum) * unit
