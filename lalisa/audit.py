"""Append-only audit log of back-office actions: who did what, to what, and when.

Usage, inside the unit of work that makes the change (so both are saved or neither)::

    await audit.record(session, actor=user.username, action=audit.USER_ROLE_CHANGED,
                       target=f"user:{target.username}", detail={"from": "admin", "to": "pimpinan"})

Rows are never changed or deleted: the ORM refuses it (:class:`lalisa.models.AppendOnlyError`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.backoffice_models import AuditLog

__all__ = [
    "ACTION_LABELS",
    "LOGIN",
    "LOGIN_FAILED",
    "LOGIN_LOCKED",
    "LOGOUT",
    "NOTIFICATION_RESENT",
    "OFFICER_PHONE_CHANGED",
    "PASSWORD_CHANGED",
    "REPORTER_IDENTITY_REVEALED",
    "SETTING_CHANGED",
    "SYSTEM_ACTOR",
    "TICKET_CLOSED",
    "TICKET_DISPATCHED",
    "TICKET_DUPLICATE",
    "TICKET_FIELD_REPORT",
    "TICKET_FLAGGED_FOR_REVIEW",
    "TICKET_IN_PROGRESS",
    "TICKET_NOTE_ADDED",
    "TICKET_REDIRECTED",
    "TICKET_REFUSED",
    "TICKET_REOPENED",
    "TICKET_REVIEW_CLEARED",
    "TICKET_TRC_ARRIVED",
    "TICKET_TRC_DEPARTED",
    "TICKET_VERIFIED",
    "USER_ACTIVATED",
    "USER_CREATED",
    "USER_DEACTIVATED",
    "USER_PASSWORD_RESET",
    "USER_ROLE_CHANGED",
    "AuditLog",
    "record",
]

SYSTEM_ACTOR: Final = "system"
"""Actor of changes made by command-line tools (bootstrap, create_superadmin)."""

LOGIN: Final = "login"
LOGIN_FAILED: Final = "login_failed"
LOGIN_LOCKED: Final = "login_locked"
LOGOUT: Final = "logout"
PASSWORD_CHANGED: Final = "password_changed"
USER_CREATED: Final = "user_created"
USER_ROLE_CHANGED: Final = "user_role_changed"
USER_DEACTIVATED: Final = "user_deactivated"
USER_ACTIVATED: Final = "user_activated"
USER_PASSWORD_RESET: Final = "user_password_reset"
SETTING_CHANGED: Final = "setting_changed"
# Complaint workflow (backoffice/tickets, lalisa.workflow).
TICKET_VERIFIED: Final = "ticket_verified"
TICKET_DISPATCHED: Final = "ticket_dispatched"
TICKET_IN_PROGRESS: Final = "ticket_in_progress"
TICKET_CLOSED: Final = "ticket_closed"
TICKET_REFUSED: Final = "ticket_refused"
TICKET_REDIRECTED: Final = "ticket_redirected"
TICKET_DUPLICATE: Final = "ticket_duplicate"
TICKET_REOPENED: Final = "ticket_reopened"
TICKET_NOTE_ADDED: Final = "ticket_note_added"
TICKET_FLAGGED_FOR_REVIEW: Final = "ticket_flagged_for_review"
TICKET_REVIEW_CLEARED: Final = "ticket_review_cleared"
TICKET_TRC_DEPARTED: Final = "ticket_trc_departed"
TICKET_TRC_ARRIVED: Final = "ticket_trc_arrived"
TICKET_FIELD_REPORT: Final = "ticket_field_report"
REPORTER_IDENTITY_REVEALED: Final = "reporter_identity_revealed"
OFFICER_PHONE_CHANGED: Final = "officer_phone_changed"
NOTIFICATION_RESENT: Final = "notification_resent"

ACTION_LABELS: dict[str, str] = {
    LOGIN: "Masuk",
    LOGIN_FAILED: "Gagal masuk",
    LOGIN_LOCKED: "Akun dikunci sementara",
    LOGOUT: "Keluar",
    PASSWORD_CHANGED: "Mengganti kata sandi sendiri",
    USER_CREATED: "Pengguna dibuat",
    USER_ROLE_CHANGED: "Peran pengguna diubah",
    USER_DEACTIVATED: "Pengguna dinonaktifkan",
    USER_ACTIVATED: "Pengguna diaktifkan kembali",
    USER_PASSWORD_RESET: "Kata sandi pengguna direset",
    SETTING_CHANGED: "Pengaturan diubah",
    TICKET_VERIFIED: "Aduan diverifikasi",
    TICKET_DISPATCHED: "Aduan didisposisikan ke TRC",
    TICKET_IN_PROGRESS: "Aduan dalam penanganan",
    TICKET_CLOSED: "Aduan ditutup selesai",
    TICKET_REFUSED: "Aduan tidak dapat ditindaklanjuti",
    TICKET_REDIRECTED: "Aduan dialihkan ke instansi lain",
    TICKET_DUPLICATE: "Aduan ditandai duplikat",
    TICKET_REOPENED: "Aduan dibuka kembali",
    TICKET_NOTE_ADDED: "Catatan internal ditambahkan",
    TICKET_FLAGGED_FOR_REVIEW: "Aduan ditandai perlu ditinjau (pelapor: belum selesai)",
    TICKET_REVIEW_CLEARED: "Tanda tinjau aduan dihapus",
    TICKET_TRC_DEPARTED: "TRC berangkat",
    TICKET_TRC_ARRIVED: "TRC tiba di lokasi",
    TICKET_FIELD_REPORT: "Laporan lapangan TRC",
    REPORTER_IDENTITY_REVEALED: "Identitas pelapor ditampilkan",
    OFFICER_PHONE_CHANGED: "Nomor WhatsApp petugas diubah",
    NOTIFICATION_RESENT: "Notifikasi dikirim ulang",
}
"""Bahasa Indonesia labels of the known actions (other parts add theirs here)."""

_MAX_ACTOR = 128
_MAX_ACTION = 64
_MAX_TARGET = 255


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def format_detail(detail: str | Mapping[str, Any] | None) -> str | None:
    """Serialise a detail value the way :func:`record` stores it.

    Args:
        detail: Free text, a JSON-serialisable mapping, or ``None``.

    Returns:
        The text, the mapping as JSON (keys sorted, non-ASCII kept), or ``None``.
    """
    if detail is None or isinstance(detail, str):
        return detail
    return json.dumps(dict(detail), sort_keys=True, ensure_ascii=False, default=str)


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    detail: str | Mapping[str, Any] | None = None,
) -> AuditLog:
    """Append one entry to the audit log in the caller's transaction (never commits).

    Args:
        session: The unit of work that makes the audited change.
        actor: Who acted: a username, :data:`SYSTEM_ACTOR`, or the name typed at a failed login.
        action: What happened; use the constants of this module (``LOGIN``, ``USER_CREATED``…).
        target: What it was done to, as ``kind:id`` (``user:budi``,
            ``ticket:LLS-2026-000001``).
        detail: Extra facts (reason, old and new value); a mapping is stored as JSON.

    Returns:
        The new entry (flushed, so its id is set).
    """
    entry = AuditLog(
        actor=_clip(actor, _MAX_ACTOR),
        action=_clip(action, _MAX_ACTION),
        target=None if target is None else _clip(target, _MAX_TARGET),
        detail=format_detail(detail),
    )
    session.add(entry)
    await session.flush()
    return entry


# Leadership recap (backoffice/reports): exports are audited when asked for and downloaded.
REPORT_EXPORT_REQUESTED: Final = "report_export_requested"
REPORT_EXPORT_DOWNLOADED: Final = "report_export_downloaded"
ACTION_LABELS.update(
    {
        REPORT_EXPORT_REQUESTED: "Ekspor rekap diminta",
        REPORT_EXPORT_DOWNLOADED: "Berkas ekspor rekap diunduh",
    }
)
