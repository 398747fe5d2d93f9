"""Download of inbound media (complaint evidence) into ``LALISA_MEDIA_DIR``.

Flow: media id -> short-lived URL (``GET /<version>/<media_id>``) -> bytes (bearer
token) -> checks (size limit, MIME allow-list) -> ``<sha256><ext>`` file. The file
write happens in a worker thread, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from lalisa_common.files import store_content_file
from lalisa_common.whatsapp.payload import MediaRef
from lalisa_rasa.channels.graph import GraphClient, MediaTooLarge

logger = logging.getLogger(__name__)

MB = 1024 * 1024

#: Accepted MIME types and the file extension used for each.
ALLOWED_MIME_TYPES: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "application/pdf": ".pdf",
}

#: Size limit per WhatsApp media type, in bytes.
DEFAULT_SIZE_LIMITS: dict[str, int] = {
    "image": 10 * MB,
    "video": 16 * MB,
    "audio": 16 * MB,
    "document": 16 * MB,
}


def normalise_mime(mime_type: str | None) -> str | None:
    """Lower-cases a MIME type and drops parameters (``audio/ogg; codecs=opus``).

    Args:
        mime_type: Raw MIME type.

    Returns:
        ``type/subtype`` or None.
    """
    if not mime_type:
        return None
    base = mime_type.split(";", 1)[0].strip().lower()
    return base or None


def _announced_sha256_matches(announced: str | None, digest: bytes) -> bool | None:
    """Compares Meta's ``sha256`` (hex or base64, depending on the payload) with ours."""
    if not announced:
        return None
    if announced.lower() == digest.hex():
        return True
    try:
        return base64.b64decode(announced, validate=True) == digest
    except (binascii.Error, ValueError):
        return False


@dataclass
class StoredMedia:
    """A downloaded and stored media file.

    Attributes:
        sha256: Hex SHA-256 of the bytes (also the file name stem).
        size_bytes: Size in bytes.
        path: Absolute path of the stored file.
        mime_type: MIME type of the file.
    """

    sha256: str
    size_bytes: int
    path: str
    mime_type: str


@dataclass
class MediaRefused:
    """A media file that was not accepted.

    Attributes:
        reason: Reply key (``media_too_large``, ``media_type_not_allowed``, ``media_failed``).
        detail: Log detail.
        limit_mb: Size limit in MB, for the citizen's message.
    """

    reason: str
    detail: str
    limit_mb: int = 0


MediaOutcome = StoredMedia | MediaRefused


class MediaDownloader:
    """Fetches inbound media and stores it by its SHA-256."""

    def __init__(
        self,
        graph: GraphClient,
        media_dir: Path,
        size_limits: Mapping[str, int] | None = None,
        allowed_mime_types: Mapping[str, str] | None = None,
    ) -> None:
        """Initialises the MediaDownloader.

        Args:
            graph: The shared Graph client.
            media_dir: Destination folder.
            size_limits: Bytes per media type (defaults to :data:`DEFAULT_SIZE_LIMITS`).
            allowed_mime_types: MIME type -> extension (defaults to :data:`ALLOWED_MIME_TYPES`).
        """
        self.graph = graph
        self.media_dir = Path(media_dir)
        self.size_limits = dict(DEFAULT_SIZE_LIMITS if size_limits is None else size_limits)
        self.allowed = dict(
            ALLOWED_MIME_TYPES if allowed_mime_types is None else allowed_mime_types
        )

    def limit_for(self, media_type: str) -> int:
        """Size limit in bytes for a WhatsApp media type."""
        return self.size_limits.get(media_type, max(self.size_limits.values(), default=16 * MB))

    def _too_large(self, media: MediaRef, size: object) -> MediaRefused:
        limit = self.limit_for(media.media_type)
        logger.warning(
            "WhatsApp media %s (%s) refused: %s bytes is over the %s-byte limit",
            media.media_id,
            media.media_type,
            size,
            limit,
        )
        return MediaRefused("media_too_large", f"size {size} > {limit}", limit_mb=limit // MB)

    def _not_allowed(self, media: MediaRef, mime: str | None) -> MediaRefused:
        logger.warning(
            "WhatsApp media %s (%s) refused: MIME type %r is not allowed",
            media.media_id,
            media.media_type,
            mime,
        )
        return MediaRefused("media_type_not_allowed", f"mime {mime}")

    async def fetch(self, media: MediaRef) -> MediaOutcome:
        """Downloads and stores one media file; never raises.

        Args:
            media: The attachment announced by the webhook.

        Returns:
            :class:`StoredMedia`, or :class:`MediaRefused` with the reason.
        """
        try:
            return await self._fetch(media)
        except Exception as exc:
            logger.exception("WhatsApp media %s download failed", media.media_id)
            return MediaRefused("media_failed", exc.__class__.__name__)

    async def _fetch(self, media: MediaRef) -> MediaOutcome:
        announced = normalise_mime(media.mime_type)
        if announced is not None and announced not in self.allowed:
            return self._not_allowed(media, announced)
        limit = self.limit_for(media.media_type)
        content: bytes | None = None
        content_type: str | None = None
        mime = announced
        for _ in range(2):  # a 404 on the URL means it expired: resolve the id again
            info = await self.graph.media_info(media.media_id)
            if not info.ok:
                logger.error(
                    "WhatsApp media %s lookup failed: HTTP %s code %s %s",
                    media.media_id,
                    info.http_status,
                    info.error_code,
                    info.error_title,
                )
                return MediaRefused("media_failed", f"lookup HTTP {info.http_status}")
            url = info.data.get("url")
            if not isinstance(url, str) or not url:
                return MediaRefused("media_failed", "lookup without url")
            mime = normalise_mime(info.data.get("mime_type")) or announced
            if mime is not None and mime not in self.allowed:
                return self._not_allowed(media, mime)
            try:
                size = int(info.data.get("file_size", 0) or 0)
            except (TypeError, ValueError):
                size = 0
            if size > limit:
                return self._too_large(media, size)
            try:
                content, content_type = await self.graph.download(url, limit)
                break
            except MediaTooLarge as exc:
                return self._too_large(media, exc.args[0] if exc.args else "?")
            except aiohttp.ClientResponseError as exc:
                if exc.status != 404:
                    raise
                logger.info("WhatsApp media URL for %s expired; resolving again", media.media_id)
        if content is None:
            return MediaRefused("media_failed", "download URL kept answering 404")
        served = normalise_mime(content_type)
        if served in self.allowed:
            mime = served
        if mime is None or mime not in self.allowed:
            return self._not_allowed(media, mime or served)
        digest = hashlib.sha256(content).digest()
        sha = digest.hex()
        if _announced_sha256_matches(media.sha256, digest) is False:
            logger.warning("WhatsApp media %s: sha256 differs from the webhook's", media.media_id)
        path = await asyncio.to_thread(
            store_content_file, self.media_dir, sha + self.allowed[mime], content
        )
        logger.info(
            "WhatsApp media %s stored as %s (%d bytes)", media.media_id, path.name, len(content)
        )
        return StoredMedia(sha256=sha, size_bytes=len(content), path=str(path), mime_type=mime)
