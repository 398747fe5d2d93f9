"""Every message the ticket workflow shows officers when it refuses a change, in one place.

Bahasa Indonesia, shown as the error on the form that asked for the change. Placeholders are
``str.format`` fields that :mod:`lalisa.tickets.workflow` fills in.
"""

from __future__ import annotations

from typing import Final

# ------------------------------------------------------------------------------- form fields

FIELD_REQUIRED: Final = "{what} wajib diisi."
"""A required field is empty; ``{what}`` is the field's name."""
FIELD_TOO_LONG: Final = "{what} terlalu panjang (maksimal {limit} karakter)."
"""A field is longer than ``{limit}`` characters."""

# Field names, as the forms label them (``{what}`` above).
LABEL_ACTIONS_TAKEN: Final = "Tindakan yang dilakukan"
LABEL_AGENCY: Final = "Nama instansi tujuan"
LABEL_AGENCY_CONTACT: Final = "Kontak instansi"
LABEL_CITIZEN_MESSAGE: Final = "Pesan untuk pelapor"
LABEL_CITIZEN_REASON: Final = "Alasan untuk pelapor"
LABEL_CONTACT: Final = "Kontak yang dapat dihubungi"
LABEL_EXPLANATION: Final = "Penjelasan untuk pelapor"
LABEL_FINDINGS: Final = "Temuan di lapangan"
LABEL_INSTRUCTIONS: Final = "Instruksi"
LABEL_NOTE: Final = "Catatan"
LABEL_REDIRECT_REASON: Final = "Keterangan"
LABEL_REOPEN_REASON: Final = "Alasan membuka kembali"
LABEL_RESULT: Final = "Hasil penanganan"
LABEL_REVEAL_REASON: Final = "Alasan"

# ----------------------------------------------------------------------------- closing a ticket

CHOOSE_REASON: Final = "Pilih alasan dari daftar."
DUPLICATE_NUMBER_MISSING: Final = "Tulis nomor aduan asli, misalnya LLS-2026-000123."
DUPLICATE_OF_ITSELF: Final = "Aduan tidak dapat menjadi duplikat dirinya sendiri."
DUPLICATE_ORIGINAL_UNKNOWN: Final = "Aduan {number} tidak ditemukan."

# ------------------------------------------------------------------------------------ dispatch

CHOOSE_OFFICER: Final = "Pilih sedikitnya satu petugas TRC."
NOT_ACTIVE_TRC: Final = "{name} bukan petugas TRC yang aktif."
CHOOSE_PRIORITY: Final = "Pilih prioritas."

# ---------------------------------------------------------------------------------- TRC steps

DISPATCH_CLOSED: Final = "Disposisi ini sudah ditutup."
TICKET_NOT_FOUND: Final = "Aduan tidak ditemukan."
NOT_WITH_TRC: Final = "Aduan ini sudah tidak dalam penanganan TRC."
ALREADY_DEPARTED: Final = "Keberangkatan sudah dicatat."
ALREADY_ARRIVED: Final = "Kedatangan di lokasi sudah dicatat."
CHOOSE_OUTCOME: Final = "Pilih hasil penanganan."
TOO_MANY_PHOTOS: Final = "Paling banyak {limit} foto per laporan."

# --------------------------------------------------------------------------- review, identity

NOT_FLAGGED: Final = "Aduan ini tidak sedang ditandai untuk ditinjau."
REVEAL_REASON_TOO_SHORT: Final = "Tuliskan alasan yang jelas (sedikitnya {minimum} karakter)."
REPORTER_NOT_FOUND: Final = "Data pelapor tidak ditemukan."
