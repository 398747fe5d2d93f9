"""ORM model of the recap's export jobs (table ``report_exports``, revision ``0010_reports``).

The jobs themselves run in the back office (``backoffice/reports/jobs.py``).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta, timezone
from typing import Final

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lalisa.core.models import Base, utcnow

__all__ = ["STALE_AFTER", "ExportKind", "ExportStatus", "ReportExport"]

STALE_AFTER: Final = timedelta(minutes=30)
"""A job not finished after this long is shown as failed (its process is gone)."""


class ExportKind(str, enum.Enum):
    """File type of an export."""

    XLSX = "xlsx"
    PDF = "pdf"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label."""
        return {ExportKind.XLSX: "Excel (XLSX)", ExportKind.PDF: "PDF siap tanda tangan"}[self]

    @property
    def media_type(self) -> str:
        """MIME type of the file."""
        return {
            ExportKind.XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ExportKind.PDF: "application/pdf",
        }[self]


class ExportStatus(str, enum.Enum):
    """State of an export job."""

    MENUNGGU = "menunggu"
    BERJALAN = "berjalan"
    SELESAI = "selesai"
    GAGAL = "gagal"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label."""
        return {
            ExportStatus.MENUNGGU: "Menunggu giliran",
            ExportStatus.BERJALAN: "Sedang dibuat",
            ExportStatus.SELESAI: "Selesai",
            ExportStatus.GAGAL: "Gagal",
        }[self]


_KIND_VALUES = ", ".join(f"'{kind.value}'" for kind in ExportKind)
_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in ExportStatus)


class ReportExport(Base):
    """One requested export (revision ``0010_reports``)."""

    __tablename__ = "report_exports"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KIND_VALUES})", name="kind"),
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Random hex token (the job's URL cannot be guessed)."""
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="menunggu")
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    params: Mapped[str] = mapped_column(Text, nullable=False)
    include_identity: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    requested_by: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    requested_role: Mapped[str] = mapped_column(String(32), nullable=False)
    row_count: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

    def effective_status(self, now: datetime | None = None) -> ExportStatus:
        """The status to show: a job stuck longer than :data:`STALE_AFTER` counts as failed."""
        status = ExportStatus(self.status)
        now = now or datetime.now(timezone.utc)
        if status in (ExportStatus.MENUNGGU, ExportStatus.BERJALAN):
            if now - self.created_at > STALE_AFTER:
                return ExportStatus.GAGAL
        return status
