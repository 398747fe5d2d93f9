"""Writing files so that a reader never sees half of one, even after a crash."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["store_content_file", "write_atomically"]


def write_atomically(path: Path, content: bytes | str) -> Path:
    """Write ``path`` in one step: a temporary file beside it, flushed to disk, then renamed.

    Args:
        path: The file to write; its folder is created when missing.
        content: Bytes, or text written as UTF-8.

    Returns:
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def store_content_file(directory: Path, name: str, content: bytes) -> Path:
    """Store a file named after its content (e.g. its SHA-256), once.

    Args:
        directory: Where to store it.
        name: File name derived from the content.
        content: The bytes.

    Returns:
        The path; an existing file of the same name and size is kept as it is.
    """
    target = directory / name
    if target.exists() and target.stat().st_size == len(content):
        return target
    return write_atomically(target, content)
