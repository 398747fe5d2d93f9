"""ORM models of TRC dispatch: officers' numbers, dispatches, field reports, their photos.

The tables come from revision ``0005_workflow``.

Look-ups are in :mod:`lalisa.dispatch.service`, photo storage in :mod:`lalisa.dispatch.photos`,
the actions that change a ticket in :mod:`lalisa.tickets.trc`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lalisa.core.models import Base, utcnow
from lalisa.tickets.models import Ticket
from lalisa.users.models import Role, User

__all__ = [
    "TRC_ROLES",
    "Dispatch",
    "DispatchOfficer",
    "DispatchStatus",
    "FieldOutcome",
    "FieldReport",
    "FieldReportPhoto",
    "OfficerContact",
    "Priority",
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
