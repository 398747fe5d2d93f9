"""ORM model of the SKM survey: one :class:`SurveyResponse` row per ticket (``0009_survey``).

The invitation, the answers and the reporting live in :mod:`lalisa.survey.service`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lalisa.core.models import Base, utcnow
from lalisa.survey.skm import SCORE_MAX, SCORE_MIN, UNSUR

__all__ = ["SurveyResponse", "SurveyStatus", "answers_of"]


class SurveyStatus(str, enum.Enum):
    """Where a survey stands."""

    INVITED = "invited"
    """Invitation queued, nothing answered yet."""
    PARTIAL = "partial"
    """Some answers given; the citizen can continue."""
    COMPLETED = "completed"
    """All nine unsur answered and the suggestion step done (answered or skipped)."""
    DECLINED = "declined"
    """The citizen does not want to take part; never asked again."""

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label."""
        return {
            SurveyStatus.INVITED: "Diundang",
            SurveyStatus.PARTIAL: "Sebagian",
            SurveyStatus.COMPLETED: "Lengkap",
            SurveyStatus.DECLINED: "Menolak",
        }[self]


_STATUS_SQL = ", ".join(f"'{status.value}'" for status in SurveyStatus)


def _score_column() -> Mapped[int | None]:
    return mapped_column(SmallInteger)


class SurveyResponse(Base):
    """The survey of one closed ticket.

    Attributes:
        id: Primary key.
        ticket_id: The ticket (one survey per ticket).
        reporter_id: The citizen invited.
        close_status: The closing outcome that caused the invitation.
        status: See :class:`SurveyStatus`.
        invited_at: When the invitation was queued (the survey's period is taken from it).
        started_at: First answer.
        completed_at: Survey completed.
        declined_at: Survey declined.
        updated_at: Last change.
        score_<unsur>: Answer 1..4 to each unsur of :data:`lalisa.survey.skm.UNSUR`, ``NULL`` until
            given.
        saran: The citizen's suggestion, if any.
        saran_done: The suggestion step is over (answered or skipped).
    """

    __tablename__ = "survey_responses"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        *(
            CheckConstraint(
                f"score_{key} IS NULL OR score_{key} BETWEEN {SCORE_MIN} AND {SCORE_MAX}",
                name=f"score_{key}",
            )
            for key in UNSUR
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), nullable=False, unique=True
    )
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("reporters.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    close_status: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[SurveyStatus] = mapped_column(
        Enum(
            SurveyStatus,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=lambda statuses: [status.value for status in statuses],
            validate_strings=True,
        ),
        nullable=False,
        default=SurveyStatus.INVITED,
    )
    invited_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    declined_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    score_persyaratan: Mapped[int | None] = _score_column()
    score_prosedur: Mapped[int | None] = _score_column()
    score_waktu: Mapped[int | None] = _score_column()
    score_biaya: Mapped[int | None] = _score_column()
    score_produk: Mapped[int | None] = _score_column()
    score_kompetensi: Mapped[int | None] = _score_column()
    score_perilaku: Mapped[int | None] = _score_column()
    score_pengaduan: Mapped[int | None] = _score_column()
    score_sarana: Mapped[int | None] = _score_column()
    saran: Mapped[str | None] = mapped_column(Text)
    saran_done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @property
    def answered_count(self) -> int:
        """Number of unsur answered."""
        return sum(1 for value in answers_of(self).values() if value is not None)


def answers_of(survey: SurveyResponse) -> dict[str, int | None]:
    """Return the answers of a survey, unsur key → score or ``None``."""
    return {key: getattr(survey, f"score_{key}") for key in UNSUR}
