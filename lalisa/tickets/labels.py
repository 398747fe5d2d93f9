"""Officer-facing labels of the ticket workflow: statuses, closing reasons, history events.

The citizen-facing status names are :attr:`lalisa.tickets.models.TicketStatus.label`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from lalisa.tickets.models import CLOSED_STATUSES, TicketStatus

S = TicketStatus

OPEN_STATUSES: Final = tuple(status for status in TicketStatus if status not in CLOSED_STATUSES)
"""Statuses of tickets still being worked on."""

STAFF_STATUS_LABELS: Final[Mapping[TicketStatus, str]] = {
    S.BARU: "Baru",
    S.DIVERIFIKASI: "Diverifikasi",
    S.DIDISPOSISIKAN: "Didisposisikan (TRC)",
    S.DALAM_PENANGANAN: "Dalam penanganan",
    S.SELESAI: "Selesai",
    S.TIDAK_DAPAT_DITINDAKLANJUTI: "Tidak dapat ditindaklanjuti",
    S.DIALIHKAN: "Dialihkan",
    S.DUPLIKAT: "Duplikat",
}
"""Status names for officers (the citizen-facing ones are :attr:`TicketStatus.label`)."""

REASON_CODES: Final[Mapping[str, str]] = {
    "bukan_kewenangan": "Bukan kewenangan Satpol PP",
    "lokasi_tidak_ditemukan": "Lokasi tidak ditemukan",
    "bukti_tidak_cukup": "Bukti tidak cukup",
    "pelanggaran_tidak_ditemukan": "Pelanggaran tidak ditemukan di lapangan",
    "lainnya": "Lainnya",
}
"""Reason codes of *Tidak dapat ditindaklanjuti* (fixed list) and their labels."""

DEFAULT_EXPLANATIONS: Final[Mapping[str, str]] = {
    "bukan_kewenangan": (
        "Masalah yang Anda laporkan bukan kewenangan Satpol PP Kabupaten Balangan."
    ),
    "lokasi_tidak_ditemukan": (
        "Petugas tidak dapat menemukan lokasi yang Anda sebutkan. Silakan kirim laporan baru "
        "dengan lokasi yang lebih jelas (kirim lokasi/sharelok)."
    ),
    "bukti_tidak_cukup": (
        "Keterangan dan bukti yang ada belum cukup untuk ditindaklanjuti. Silakan kirim laporan "
        "baru dengan keterangan dan foto yang lebih lengkap."
    ),
    "pelanggaran_tidak_ditemukan": (
        "Petugas sudah memeriksa lokasi, tetapi pelanggaran yang dilaporkan tidak ditemukan "
        "saat pemeriksaan."
    ),
    "lainnya": "",
}
"""Suggested citizen-facing explanations (the form is prefilled; the officer may edit)."""

EVENT_LABELS: Final[Mapping[str, str]] = {
    "created": "Aduan diterima",
    "status_changed": "Status diubah",
    "reopened": "Dibuka kembali",
    "trc_departed": "TRC berangkat",
    "trc_arrived": "TRC tiba di lokasi",
    "field_report": "Laporan lapangan",
    "flagged_for_review": "Pelapor: belum selesai (perlu ditinjau)",
    "review_cleared": "Tanda tinjau dihapus",
}
"""Labels of ``TicketEvent.event_type`` values."""
