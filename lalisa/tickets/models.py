"""ORM models of complaint tickets: reporters, tickets, media, events, notes, numbering.

The schema is owned by Alembic. Reporter identity is never stored in clear text: see
:mod:`lalisa.core.crypto`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from lalisa.core.models import AppendOnlyError, Base, utcnow


class TicketStatus(str, enum.Enum):
    """Status of a complaint ticket (machine value; see :attr:`label` for citizens)."""

    BARU = "baru"
    DIVERIFIKASI = "diverifikasi"
    DIDISPOSISIKAN = "didisposisikan"
    DALAM_PENANGANAN = "dalam_penanganan"
    SELESAI = "selesai"
    TIDAK_DAPAT_DITINDAKLANJUTI = "tidak_dapat_ditindaklanjuti"
    DIALIHKAN = "dialihkan"
    DUPLIKAT = "duplikat"

    def __str__(self) -> str:
        """Return the machine value (not ``TicketStatus.BARU``)."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label shown to citizens."""
        return _STATUS_LABELS[self]

    @property
    def is_closed(self) -> bool:
        """True for the terminal states (a ticket can only be reopened from these)."""
        return self in CLOSED_STATUSES


_STATUS_LABELS: dict[TicketStatus, str] = {
    TicketStatus.BARU: "Baru/diterima",
    TicketStatus.DIVERIFIKASI: "Diverifikasi",
    TicketStatus.DIDISPOSISIKAN: "Diteruskan ke Tim Reaksi Cepat",
    TicketStatus.DALAM_PENANGANAN: "Dalam penanganan",
    TicketStatus.SELESAI: "Selesai",
    TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI: "Tidak dapat ditindaklanjuti",
    TicketStatus.DIALIHKAN: "Dialihkan ke instansi lain",
    TicketStatus.DUPLIKAT: "Duplikat",
}

CLOSED_STATUSES: frozenset[TicketStatus] = frozenset(
    {
        TicketStatus.SELESAI,
        TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI,
        TicketStatus.DIALIHKAN,
        TicketStatus.DUPLIKAT,
    }
)

_STATUS_VALUES_SQL = ", ".join(f"'{status.value}'" for status in TicketStatus)


class TicketSequence(Base):
    """Per-year counter from which ticket numbers are allocated (never reused)."""

    __tablename__ = "ticket_sequence"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Reporter(Base):
    """A citizen who reported at least one complaint; identity encrypted at rest."""

    __tablename__ = "reporters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_blind_index: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    phone_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    name_encrypted: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32), nullable=False, default="whatsapp")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    tickets: Mapped[list[Ticket]] = relationship(back_populates="reporter")


class Ticket(Base):
    """A complaint with its location, status and one timestamp per status transition."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_VALUES_SQL})", name="status"),
        CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name="coordinates_both_or_none"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("reporters.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    # The citizen's own words for the category when the form could not read them and filed
    # the report as "lainnya" ("karoke ilegal"): the officer decides the real category
    # (revision 0013_category_told).
    category_told: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    kecamatan: Mapped[str | None] = mapped_column(String(64), index=True)
    desa: Mapped[str | None] = mapped_column(String(64))
    location_text: Mapped[str | None] = mapped_column(Text)
    incident_time_text: Mapped[str | None] = mapped_column(Text)
    incident_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[TicketStatus] = mapped_column(
        Enum(
            TicketStatus,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda statuses: [status.value for status in statuses],
            validate_strings=True,
        ),
        nullable=False,
        default=TicketStatus.BARU,
        index=True,
    )
    submission_key: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    received_out_of_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column()
    verified_at: Mapped[datetime | None] = mapped_column()
    dispatched_at: Mapped[datetime | None] = mapped_column()
    in_progress_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Workflow (revision 0005_workflow): optimistic version, field clock, closing outcome,
    # and the citizen's "belum selesai" flag.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    """Raised by every change of the ticket; forms carry it to detect concurrent edits."""
    on_site_at: Mapped[datetime | None] = mapped_column()
    closing_reason_code: Mapped[str | None] = mapped_column(String(40))
    closing_explanation: Mapped[str | None] = mapped_column(Text)
    closing_contact: Mapped[str | None] = mapped_column(Text)
    redirected_to: Mapped[str | None] = mapped_column(String(255))
    duplicate_of_number: Mapped[str | None] = mapped_column(String(20))
    review_flagged_at: Mapped[datetime | None] = mapped_column(index=True)
    review_note: Mapped[str | None] = mapped_column(Text)

    reporter: Mapped[Reporter] = relationship(back_populates="tickets")
    media: Mapped[list[TicketMedia]] = relationship(
        back_populates="ticket", order_by="TicketMedia.id"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )


class TicketMedia(Base):
    """A photo, video or document; pending (no ticket) until the complaint is confirmed."""

    __tablename__ = "ticket_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), index=True
    )
    sender_blind_index: Mapped[str | None] = mapped_column(String(64), index=True)
    wa_media_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    media_type: Mapped[str] = mapped_column(String(16), nullable=False)
    mime_type: Mapped[str | None] = mapped_column(String(128))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    ticket: Mapped[Ticket | None] = relationship(back_populates="media")


class TicketEvent(Base):
    """Append-only audit trail of a ticket (creation, status changes, reopening)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    event_type: Mapped[str] = mapped_column(String(32), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


@event.listens_for(TicketEvent, "before_update")
def _refuse_event_update(_mapper: Mapper[Any], _connection: Any, target: TicketEvent) -> None:
    raise AppendOnlyError(f"ticket event {target.id} is append-only")


@event.listens_for(TicketEvent, "before_delete")
def _refuse_event_delete(_mapper: Mapper[Any], _connection: Any, target: TicketEvent) -> None:
    raise AppendOnlyError(f"ticket event {target.id} is append-only")


class TicketNote(Base):
    """An internal note on a ticket (never shown to the citizen); append-only."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


@event.listens_for(TicketNote, "before_update")
def _refuse_note_update(_mapper: Mapper[Any], _connection: Any, target: TicketNote) -> None:
    raise AppendOnlyError(f"ticket note {target.id} is append-only")


@event.listens_for(TicketNote, "before_delete")
def _refuse_note_delete(_mapper: Mapper[Any], _connection: Any, target: TicketNote) -> None:
    raise AppendOnlyError(f"ticket note {target.id} is append-only")
