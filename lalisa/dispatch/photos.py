"""Field photos of the TRC's reports: checked by content, stored under ``LALISA_MEDIA_DIR``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lalisa.core.settings import get_settings
from lalisa_common.files import store_content_file

__all__ = [
    "ALLOWED_PHOTO_TYPES",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "PhotoRejected",
    "StoredPhoto",
    "resolve_media_path",
    "sniff_photo",
    "store_photo",
]

MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024
"""Largest photo accepted in a field report (10 MB)."""
MAX_PHOTOS: Final = 6
"""Most photos per field report."""
ALLOWED_PHOTO_TYPES: Final = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
"""Accepted photo types (detected from the content, not from the browser's claim)."""
FIELD_PHOTO_SUBDIR: Final = "trc"


class PhotoRejected(ValueError):
    """A photo that is too large, empty or not an accepted image (message in Indonesian)."""


@dataclass(frozen=True)
class StoredPhoto:
    """A field photo written to the media folder.

    Attributes:
        sha256: Hex SHA-256 of the content (also the file name).
        size_bytes: Size.
        mime_type: Detected type.
        path: Path relative to ``LALISA_MEDIA_DIR``.
        original_name: File name the browser sent (for display only).
    """

    sha256: str
    size_bytes: int
    mime_type: str
    path: str
    original_name: str | None


def sniff_photo(content: bytes) -> str | None:
    """Detect the image type from its first bytes.

    Args:
        content: File content.

    Returns:
        ``image/jpeg``, ``image/png``, ``image/webp``, or ``None`` for anything else.
    """
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def store_photo(
    content: bytes, *, original_name: str | None = None, media_dir: Path | None = None
) -> StoredPhoto:
    """Check a field photo and write it under ``<media dir>/trc/<sha256><ext>``.

    Args:
        content: The uploaded bytes.
        original_name: The browser's file name.
        media_dir: Media folder; defaults to ``LALISA_MEDIA_DIR``.

    Returns:
        Where and what was stored.

    Raises:
        PhotoRejected: Empty, larger than :data:`MAX_PHOTO_BYTES`, or not JPEG/PNG/WebP.
    """
    if not content:
        raise PhotoRejected("Berkas foto kosong.")
    if len(content) > MAX_PHOTO_BYTES:
        raise PhotoRejected(
            f"Foto terlalu besar (maksimal {MAX_PHOTO_BYTES // (1024 * 1024)} MB per foto)."
        )
    mime = sniff_photo(content)
    if mime is None:
        raise PhotoRejected("Berkas bukan foto yang didukung (JPEG, PNG atau WebP).")
    base = media_dir if media_dir is not None else get_settings().storage.media_dir
    sha = hashlib.sha256(content).hexdigest()
    name = sha + ALLOWED_PHOTO_TYPES[mime]
    store_content_file(base / FIELD_PHOTO_SUBDIR, name, content)
    shown = (original_name or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or None
    return StoredPhoto(
        sha256=sha,
        size_bytes=len(content),
        mime_type=mime,
        path=f"{FIELD_PHOTO_SUBDIR}/{name}",
        original_name=shown,
    )


def resolve_media_path(stored: str | None, media_dir: Path | None = None) -> Path | None:
    """Turn a stored media path into a file path, only if it lies inside the media folder.

    Paths are stored relative to ``LALISA_MEDIA_DIR`` (field photos) or absolute inside it
    (media downloaded by the WhatsApp channel).

    Args:
        stored: The stored path.
        media_dir: Media folder; defaults to ``LALISA_MEDIA_DIR``.

    Returns:
        The existing file, or ``None`` when the path is empty, outside the folder or missing.
    """
    if not stored:
        return None
    base = (media_dir if media_dir is not None else get_settings().storage.media_dir).resolve()
    candidate = Path(stored)
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = candidate.resolve()
    if not resolved.is_relative_to(base) or not resolved.is_file():
        return None
    return resolved
