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
    "TAKEOVER_AUTO_RETURNED",
    "TAKEOVER_HANDED_BACK",
    "TAKEOVER_MESSAGE_SENT",
    "TAKEOVER_STARTED",
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
# Human takeover of a conversation (backoffice/takeover, lalisa.takeover).
TAKEOVER_STARTED: Final = "takeover_started"
TAKEOVER_HANDED_BACK: Final = "takeover_handed_back"
TAKEOVER_AUTO_RETURNED: Final = "takeover_auto_returned"
TAKEOVER_MESSAGE_SENT: Final = "takeover_message_sent"

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
    TAKEOVER_STARTED: "Percakapan diambil alih petugas",
    TAKEOVER_HANDED_BACK: "Percakapan dikembalikan ke asisten",
    TAKEOVER_AUTO_RETURNED: "Percakapan kembali ke asisten otomatis (tidak ada aktivitas)",
    TAKEOVER_MESSAGE_SENT: "Balasan petugas dikirim ke warga",
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


# Conversation review (backoffice/conversations/review_views.py).
REVIEW_MARKED: Final = "review_marked"
REVIEW_UNMARKED: Final = "review_unmarked"
REVIEW_TAG_ADDED: Final = "review_tag_added"
REVIEW_TAG_REMOVED: Final = "review_tag_removed"
REVIEW_NOTE_ADDED: Final = "review_note_added"
REVIEW_MESSAGE_FLAGGED: Final = "review_message_flagged"
REVIEW_MESSAGE_UNFLAGGED: Final = "review_message_unflagged"
REVIEW_ANNOTATED: Final = "review_annotated"
REVIEW_ANNOTATION_REMOVED: Final = "review_annotation_removed"
REVIEW_NLU_EXPORTED: Final = "review_nlu_exported"
REVIEW_STORY_EXPORTED: Final = "review_story_exported"
REVIEW_TRAINING_STORIES_EXPORTED: Final = "review_training_stories_exported"
REVIEW_FILTER_SAVED: Final = "review_filter_saved"
REVIEW_FILTER_DELETED: Final = "review_filter_deleted"
ACTION_LABELS.update(
    {
        REVIEW_MARKED: "Percakapan ditandai sudah ditinjau",
        REVIEW_UNMARKED: "Tanda sudah ditinjau dihapus",
        REVIEW_TAG_ADDED: "Tag percakapan ditambahkan",
        REVIEW_TAG_REMOVED: "Tag percakapan dihapus",
        REVIEW_NOTE_ADDED: "Catatan tinjauan ditambahkan",
        REVIEW_MESSAGE_FLAGGED: "Pesan ditandai",
        REVIEW_MESSAGE_UNFLAGGED: "Tanda pesan dihapus",
        REVIEW_ANNOTATED: "Pesan dianotasi (intent/entitas)",
        REVIEW_ANNOTATION_REMOVED: "Anotasi pesan dihapus",
        REVIEW_NLU_EXPORTED: "Anotasi diekspor sebagai data NLU",
        REVIEW_STORY_EXPORTED: "Percakapan diekspor sebagai test story",
        REVIEW_TRAINING_STORIES_EXPORTED: "Percakapan diekspor sebagai training story",
        REVIEW_FILTER_SAVED: "Filter tinjauan disimpan",
        REVIEW_FILTER_DELETED: "Filter tinjauan dihapus",
    }
)

# SKM survey (lalisa/survey.py, backoffice/survey/).
SURVEY_INVITED: Final = "survey_invited"
SURVEY_COMPLETED: Final = "survey_completed"
SURVEY_DECLINED: Final = "survey_declined"
SURVEY_EXPORTED: Final = "survey_exported"
ACTION_LABELS.update(
    {
        SURVEY_INVITED: "Undangan survei kepuasan dikirim",
        SURVEY_COMPLETED: "Survei kepuasan selesai diisi",
        SURVEY_DECLINED: "Pelapor menolak mengisi survei kepuasan",
        SURVEY_EXPORTED: "Hasil survei kepuasan diekspor",
    }
)

# Leadership recap (backoffice/reports): exports are audited when asked for and downloaded.
REPORT_EXPORT_REQUESTED: Final = "report_export_requested"
REPORT_EXPORT_DOWNLOADED: Final = "report_export_downloaded"
ACTION_LABELS.update(
    {
        REPORT_EXPORT_REQUESTED: "Ekspor rekap diminta",
        REPORT_EXPORT_DOWNLOADED: "Berkas ekspor rekap diunduh",
    }
)
