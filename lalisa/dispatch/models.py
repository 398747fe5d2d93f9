"""TRC dispatch data: officers' WhatsApp numbers, dispatches, field reports and their photos.

The actions that change a ticket (dispatching, "berangkat", "tiba di lokasi", the field report)
live in :mod:`lalisa.tickets.workflow`; this module holds the tables (revision
``0005_workflow``), the look-ups and the storage of field photos.

Officers' phone numbers are stored only as Fernet tokens under the reporter identity key
(:mod:`lalisa.core.crypto`), like reporter identity.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher, normalise_sender_id
from lalisa.core.settings import get_settings
from lalisa.tickets.models import Base, Ticket, utcnow
from lalisa.users.models import Role, User

__all__ = [
    "ALLOWED_PHOTO_TYPES",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "TRC_ROLES",
    "Dispatch",
    "DispatchOfficer",
    "DispatchStatus",
    "FieldOutcome",
    "FieldReport",
    "FieldReportPhoto",
    "OfficerContact",
    "PhotoRejected",
    "Priority",
    "StoredPhoto",
    "dispatches_for_officer",
    "get_dispatch",
    "mask_phone",
    "normalise_officer_phone",
    "officer_contacts",
    "officer_phone",
    "resolve_media_path",
    "sniff_photo",
    "store_photo",
    "ticket_dispatches",
    "trc_officers",
]

TRC_ROLES: Final = frozenset({Role.KOMANDAN_TRC, Role.PETUGAS_TRC})
"""Roles that can be dispatched to a location."""


class Priority(str, enum.Enum):
    """Priority of a dispatch, chosen by the verifikator."""

    RENDAH = "rendah"
    SEDANG = "sedang"
    TINGGI = "tinggi"
    DARURAT = "darurat"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label."""
        return _PRIORITY_LABELS[self]


_PRIORITY_LABELS = {
    Priority.RENDAH: "Rendah",
    Priority.SEDANG: "Sedang",
    Priority.TINGGI: "Tinggi",
    Priority.DARURAT: "Darurat",
}


class DispatchStatus(str, enum.Enum):
    """Progress of one dispatch in the field."""

    DITUGASKAN = "ditugaskan"
    BERANGKAT = "berangkat"
    TIBA = "tiba"
    DILAPORKAN = "dilaporkan"
    DITUTUP = "ditutup"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label."""
        return _DISPATCH_STATUS_LABELS[self]


_DISPATCH_STATUS_LABELS = {
    DispatchStatus.DITUGASKAN: "Ditugaskan",
    DispatchStatus.BERANGKAT: "Berangkat",
    DispatchStatus.TIBA: "Tiba di lokasi",
    DispatchStatus.DILAPORKAN: "Laporan akhir masuk",
    DispatchStatus.DITUTUP: "Ditutup",
}


class FieldOutcome(str, enum.Enum):
    """What a field report says about the complaint."""

    DALAM_PENANGANAN = "dalam_penanganan"
    SELESAI = "selesai"
    TIDAK_DITEMUKAN = "tidak_ditemukan"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label."""
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    FieldOutcome.DALAM_PENANGANAN: "Masih ditangani (belum selesai)",
    FieldOutcome.SELESAI: "Selesai ditangani",
    FieldOutcome.TIDAK_DITEMUKAN: "Pelanggaran tidak ditemukan di lapangan",
}


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _enum(enum_class: type[enum.Enum], length: int) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class OfficerContact(Base):
    """The WhatsApp number of an officer (encrypted), used for dispatch messages."""

    __tablename__ = "officer_contacts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    phone_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128), nullable=False)


class DispatchOfficer(Base):
    """An officer assigned to a dispatch."""

    __tablename__ = "dispatch_officers"

    dispatch_id: Mapped[int] = mapped_column(
        ForeignKey("dispatches.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class Dispatch(Base):
    """A verifikator's order to the TRC to handle a ticket at its location.

    Attributes:
        assigned_by: Username of the verifikator.
        priority: See :class:`Priority`.
        instructions: What the team should do (shown on the TRC page and in the message).
        status: See :class:`DispatchStatus`.
        departed_at: When the team pressed "Berangkat".
        arrived_at: When the team pressed "Tiba di lokasi".
        reported_at: When the final field report came in.
        closed_at: When the dispatch stopped being active (final report or ticket closed).
    """

    __tablename__ = "dispatches"
    __table_args__ = (
        CheckConstraint(f"priority IN ({_sql_list(p.value for p in Priority)})", name="priority"),
        CheckConstraint(f"status IN ({_sql_list(s.value for s in DispatchStatus)})", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(128), nullable=False)
    priority: Mapped[Priority] = mapped_column(_enum(Priority, 16), nullable=False)
    instructions: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DispatchStatus] = mapped_column(
        _enum(DispatchStatus, 16), nullable=False, default=DispatchStatus.DITUGASKAN
    )
    departed_at: Mapped[datetime | None] = mapped_column()
    arrived_at: Mapped[datetime | None] = mapped_column()
    reported_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    ticket: Mapped[Ticket] = relationship()
    officers: Mapped[list[User]] = relationship(
        secondary="dispatch_officers", order_by=User.username, viewonly=True
    )
    reports: Mapped[list[FieldReport]] = relationship(
        back_populates="dispatch", order_by="FieldReport.id"
    )

    @property
    def is_open(self) -> bool:
        """True while the team still works on it."""
        return self.closed_at is None

    def has_officer(self, user_id: int) -> bool:
        """Tell whether a user is assigned (needs ``officers`` loaded)."""
        return any(officer.id == user_id for officer in self.officers)


class FieldReport(Base):
    """What the TRC found and did at the location, with the outcome they chose."""

    __tablename__ = "field_reports"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({_sql_list(o.value for o in FieldOutcome)})", name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(
        ForeignKey("dispatches.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    findings: Mapped[str] = mapped_column(Text, nullable=False)
    actions_taken: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[FieldOutcome] = mapped_column(_enum(FieldOutcome, 32), nullable=False)
    citizen_message: Mapped[str | None] = mapped_column(Text)

    dispatch: Mapped[Dispatch] = relationship(back_populates="reports")
    photos: Mapped[list[FieldReportPhoto]] = relationship(order_by="FieldReportPhoto.id")


class FieldReportPhoto(Base):
    """A photo attached to a field report, stored by its SHA-256 under ``LALISA_MEDIA_DIR``."""

    __tablename__ = "field_report_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("field_reports.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    mime_type: Mapped[str] = mapped_column(String(64), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    original_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


# ------------------------------------------------------------------------------ officers

_PHONE_RE = re.compile(r"^62\d{7,13}$")


def normalise_officer_phone(raw: str) -> str:
    """Validate and normalise an Indonesian mobile number typed by the superadmin.

    Args:
        raw: ``0812-3456-7890``, ``+62 812 3456 7890``, ``6281234567890``…

    Returns:
        Digits in international form (``6281234567890``).

    Raises:
        ValueError: Not a plausible Indonesian number (message in Bahasa Indonesia).
    """
    try:
        phone = normalise_sender_id(raw)
    except ValueError as exc:
        raise ValueError("Nomor WhatsApp kosong.") from exc
    if not _PHONE_RE.fullmatch(phone):
        raise ValueError("Nomor WhatsApp tidak valid; tulis seperti 0812-3456-7890.")
    return phone


def mask_phone(phone: str) -> str:
    """Hide the middle of a phone number (``6281****7890``)."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return f"{phone[:4]}{'*' * (len(phone) - 8)}{phone[-4:]}"


async def trc_officers(session: AsyncSession, *, include_inactive: bool = False) -> list[User]:
    """List the TRC users (komandan first, then by name).

    Args:
        session: Any session.
        include_inactive: Also list deactivated users.

    Returns:
        The users.
    """
    query = select(User).where(User.role.in_(list(TRC_ROLES)))
    if not include_inactive:
        query = query.where(User.active.is_(True))
    users = list((await session.execute(query)).scalars())
    users.sort(key=lambda user: (user.role is not Role.KOMANDAN_TRC, user.full_name.lower()))
    return users


async def officer_contacts(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, OfficerContact]:
    """Return the stored contacts of some users, by user id."""
    if not user_ids:
        return {}
    query = select(OfficerContact).where(OfficerContact.user_id.in_(list(user_ids)))
    return {contact.user_id: contact for contact in (await session.execute(query)).scalars()}


async def officer_phone(session: AsyncSession, user_id: int) -> str | None:
    """Decrypt an officer's WhatsApp number.

    Args:
        session: Any session.
        user_id: The officer.

    Returns:
        The number, or ``None`` when none is stored or it cannot be decrypted.
    """
    contact = await session.get(OfficerContact, user_id)
    if contact is None:
        return None
    try:
        return get_identity_cipher().decrypt(contact.phone_encrypted)
    except IdentityDecryptionError:
        return None


# ---------------------------------------------------------------------------- dispatches


def _with_details(
    query: Select[tuple[Dispatch]], *, with_ticket: bool = True
) -> Select[tuple[Dispatch]]:
    query = query.options(
        selectinload(Dispatch.officers),
        selectinload(Dispatch.reports).selectinload(FieldReport.photos),
    )
    # Not for a ticket's own page: reloading the ticket here would reset its loaded
    # relationships (media, events) and make the template load them lazily.
    return query.options(selectinload(Dispatch.ticket)) if with_ticket else query


async def get_dispatch(session: AsyncSession, dispatch_id: int) -> Dispatch | None:
    """Load a dispatch with its officers, ticket and reports."""
    query = _with_details(select(Dispatch).where(Dispatch.id == dispatch_id)).execution_options(
        populate_existing=True
    )
    return (await session.execute(query)).scalar_one_or_none()


async def ticket_dispatches(session: AsyncSession, ticket_id: int) -> list[Dispatch]:
    """List a ticket's dispatches, oldest first, with officers and reports (not the ticket)."""
    query = (
        _with_details(select(Dispatch).where(Dispatch.ticket_id == ticket_id), with_ticket=False)
        .order_by(Dispatch.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def dispatches_for_officer(
    session: AsyncSession, user_id: int | None, *, open_only: bool = True, limit: int = 100
) -> list[Dispatch]:
    """List dispatches of one officer (or of everybody), open ones first, newest first.

    Args:
        session: Any session.
        user_id: The officer, or ``None`` for every dispatch (superadmin).
        open_only: Only dispatches still open.
        limit: Maximum number.

    Returns:
        The dispatches, with officers, ticket and reports loaded.
    """
    query = _with_details(select(Dispatch)).execution_options(populate_existing=True)
    if user_id is not None:
        query = query.join(DispatchOfficer, DispatchOfficer.dispatch_id == Dispatch.id).where(
            DispatchOfficer.user_id == user_id
        )
    if open_only:
        query = query.where(Dispatch.closed_at.is_(None))
    query = query.order_by(Dispatch.closed_at.is_not(None), Dispatch.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


# --------------------------------------------------------------------------- field photos

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


def _write_atomically(directory: Path, name: str, content: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if target.exists() and target.stat().st_size == len(content):
        return target
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


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
    base = media_dir if media_dir is not None else get_settings().media_dir
    sha = hashlib.sha256(content).hexdigest()
    name = sha + ALLOWED_PHOTO_TYPES[mime]
    _write_atomically(base / FIELD_PHOTO_SUBDIR, name, content)
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
    base = (media_dir if media_dir is not None else get_settings().media_dir).resolve()
    candidate = Path(stored)
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = candidate.resolve()
    if not resolved.is_relative_to(base) or not resolved.is_file():
        return None
    return resolved
