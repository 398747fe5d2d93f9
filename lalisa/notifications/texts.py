"""Every text La-Lisa sends as a notification, in plain Bahasa Indonesia, in one place.

Two forms of each message:

* ``*_TEXT``: free text, sent inside the 24-hour customer service window (the citizen wrote to
  La-Lisa in the last 24 hours). WhatsApp formatting: ``*tebal*``.
* ``*_NOTE``: one line that fills the ``Keterangan`` parameter of the approved template used
  outside the window (template parameters may not contain line breaks).

Placeholders are ``str.format`` fields; :mod:`lalisa.notifications.messages` fills them.
Optional parts (``*_LINE``) are empty when the officer gave nothing for them.

The template bodies below are what has to be submitted to Meta for approval (category
UTILITY, language ``id``), under the names configured in ``WHATSAPP_TEMPLATE_CITIZEN_UPDATE``
and ``WHATSAPP_TEMPLATE_TRC_DISPATCH``. Meta does not accept a variable at the very start or
end of a body, hence the closing sentences.
"""

from __future__ import annotations

# --------------------------------------------------------------------- templates (for Meta)

CITIZEN_UPDATE_TEMPLATE_BODY = (
    "Pembaruan laporan Anda di La-Lisa, layanan pengaduan Satpol PP Kabupaten Balangan.\n\n"
    "Nomor laporan: {{1}}\n"
    "Status: {{2}}\n"
    "Keterangan: {{3}}\n\n"
    "Balas pesan ini jika ada pertanyaan, atau ketik *belum selesai* jika masalahnya belum "
    "selesai."
)
"""Body of the citizen update template: {{1}} nomor laporan, {{2}} status, {{3}} keterangan."""

TRC_DISPATCH_TEMPLATE_BODY = (
    "Disposisi baru dari La-Lisa Satpol PP Kabupaten Balangan.\n\n"
    "Nomor laporan: {{1}}\n"
    "Kategori: {{2}}\n"
    "Lokasi: {{3}}\n"
    "Prioritas: {{4}}\n"
    "Instruksi: {{5}}\n"
    "Peta: {{6}}\n"
    "Halaman disposisi: {{7}}\n\n"
    "Mohon segera ditindaklanjuti dan laporkan hasilnya di halaman disposisi."
)
"""Body of the TRC dispatch template (seven parameters, in this order)."""

# ------------------------------------------------------------ status names ({{2}} of template)

STATUS_VERIFIED = "Diverifikasi"
STATUS_DISPATCHED = "Diteruskan ke Tim Reaksi Cepat"
STATUS_IN_PROGRESS = "Dalam penanganan"
STATUS_DONE = "Selesai"
STATUS_NOT_ACTIONABLE = "Tidak dapat ditindaklanjuti"
STATUS_REDIRECTED = "Dialihkan ke instansi lain"
STATUS_DUPLICATE = "Digabung dengan laporan lain"
STATUS_REOPENED = "Dibuka kembali"

# ------------------------------------------------------------------------ shared fragments

CHECK_STATUS_HINT = "Untuk mengecek status laporan, ketik *cek status*."
NOT_DONE_HINT = (
    "Jika menurut Anda masalahnya belum selesai, balas pesan ini dengan *belum selesai*."
)
NEW_REPORT_HINT = "Untuk membuat laporan baru, ketik *lapor*."

# ------------------------------------------------------------------------------- verified

VERIFIED_TEXT = (
    "Laporan Anda nomor *{number}* sudah kami periksa dan *diverifikasi*. "
    "Laporan ini akan diteruskan kepada petugas untuk ditindaklanjuti, dan kami akan "
    "mengabari Anda lagi lewat WhatsApp ini.\n\n" + CHECK_STATUS_HINT
)
VERIFIED_NOTE = "Laporan sudah diperiksa dan akan diteruskan kepada petugas untuk ditindaklanjuti."

# ----------------------------------------------------------------------------- dispatched

DISPATCHED_TEXT = (
    "Laporan Anda nomor *{number}* sudah *diteruskan ke Tim Reaksi Cepat (TRC)* "
    "Satpol PP Kabupaten Balangan untuk ditangani di lokasi. Kami akan mengabari Anda "
    "setelah ada hasilnya.\n\n" + CHECK_STATUS_HINT
)
DISPATCHED_NOTE = "Tim Reaksi Cepat akan menangani laporan Anda di lokasi."

# ---------------------------------------------------------------------------- in progress

IN_PROGRESS_TEXT = (
    "Petugas Satpol PP Kabupaten Balangan sedang *menangani* laporan Anda nomor *{number}*. "
    "Kami akan mengabari Anda setelah penanganan selesai."
)
IN_PROGRESS_NOTE = "Petugas sedang menangani laporan Anda."

# ---------------------------------------------------------------------- closed: selesai

DONE_TEXT = (
    "Laporan Anda nomor *{number}* sudah *selesai* ditangani.\n"
    "{result_line}"
    "Terima kasih sudah ikut menjaga ketertiban dan ketenteraman di Kabupaten Balangan.\n\n"
    + NOT_DONE_HINT
)
DONE_RESULT_LINE = "Hasil penanganan: {result}\n"
DONE_NOTE = "Laporan sudah selesai ditangani."
DONE_RESULT_NOTE = "Laporan sudah selesai ditangani. Hasil: {result}"

# ------------------------------------------------------- closed: tidak dapat ditindaklanjuti

NOT_ACTIONABLE_TEXT = (
    "Mohon maaf, laporan Anda nomor *{number}* *tidak dapat ditindaklanjuti* oleh "
    "Satpol PP Kabupaten Balangan.\n"
    "Alasan: {reason}\n"
    "{contact_line}\n" + NOT_DONE_HINT + " " + NEW_REPORT_HINT
)
NOT_ACTIONABLE_CONTACT_LINE = "Untuk masalah ini, silakan menghubungi: {contact}\n"
NOT_ACTIONABLE_NOTE = "Alasan: {reason}"
NOT_ACTIONABLE_CONTACT_NOTE = "Alasan: {reason}. Silakan menghubungi: {contact}"

# ------------------------------------------------------------------------ closed: dialihkan

REDIRECTED_TEXT = (
    "Laporan Anda nomor *{number}* *dialihkan* ke *{agency}*, karena penanganannya menjadi "
    "kewenangan instansi tersebut.\n"
    "{reason_line}"
    "{contact_line}\n" + NOT_DONE_HINT
)
REDIRECTED_REASON_LINE = "Keterangan: {reason}\n"
REDIRECTED_CONTACT_LINE = "Kontak {agency}: {contact}\n"
REDIRECTED_NOTE = "Laporan dialihkan ke {agency}, instansi yang berwenang menanganinya."
REDIRECTED_REASON_NOTE = " Keterangan: {reason}."
REDIRECTED_CONTACT_NOTE = " Kontak {agency}: {contact}"

# ------------------------------------------------------------------------- closed: duplikat

DUPLICATE_TEXT = (
    "Laporan Anda nomor *{number}* sama dengan laporan yang sudah kami terima sebelumnya, "
    "nomor *{original}*. Laporan Anda *digabungkan* dengan laporan {original} dan "
    "ditangani bersama, jadi Anda tidak perlu melapor ulang.\n\n" + NOT_DONE_HINT
)
DUPLICATE_NOTE = (
    "Laporan yang sama sudah diterima dengan nomor {original}; laporan Anda digabungkan dan "
    "ditangani bersama laporan tersebut."
)

# ------------------------------------------------------------------------------- reopened

REOPENED_TEXT = (
    "Laporan Anda nomor *{number}* *dibuka kembali* dan akan diperiksa ulang oleh petugas.\n"
    "{reason_line}"
    "Kami akan mengabari Anda lagi lewat WhatsApp ini."
)
REOPENED_REASON_LINE = "Alasan: {reason}\n"
REOPENED_NOTE = "Laporan dibuka kembali dan akan diperiksa ulang oleh petugas."
REOPENED_REASON_NOTE = "Laporan dibuka kembali dan akan diperiksa ulang. Alasan: {reason}"

# ---------------------------------------------------------------------------- TRC dispatch

TRC_DISPATCH_TEXT = (
    "*Disposisi baru dari La-Lisa*\n"
    "Nomor laporan: {number}\n"
    "Kategori: {category}\n"
    "Lokasi: {place}\n"
    "Prioritas: {priority}\n"
    "Instruksi: {instructions}\n"
    "Peta: {map_link}\n"
    "Halaman disposisi: {dispatch_url}\n\n"
    "Mohon segera ditindaklanjuti dan laporkan hasilnya di halaman disposisi."
)
NO_VALUE = "-"
"""Shown for a missing value (no map pin, no instructions)."""

# ------------------------------------------------------- errors shown to officers (ticket page)

ERROR_NOT_CONFIGURED = "WhatsApp belum dikonfigurasi; pesan menunggu dikirim."
ERROR_UNREACHABLE = "WhatsApp tidak dapat dihubungi ({detail}); dicoba lagi otomatis."
ERROR_ACCOUNT = (
    "Akun WhatsApp Business tidak dapat mengirim ({detail}); pesan menunggu sampai admin "
    "sistem memperbaikinya."
)
ERROR_RETRY = "Percobaan ke-{attempt} gagal ({detail}); dicoba lagi otomatis."
ERROR_GAVE_UP = "Gagal setelah {attempts} percobaan ({detail}). Periksa dan kirim ulang manual."
ERROR_OUTCOME_UNKNOWN = "Status tidak diketahui setelah gangguan; periksa dan kirim ulang manual."
"""Row left in ``sending`` by a crashed worker and no trace of it at WhatsApp: not resent."""
ERROR_PERMANENT = "Tidak dapat dikirim: {detail}"
ERROR_NO_TEMPLATE = (
    "Penerima tidak menulis ke La-Lisa dalam 24 jam terakhir dan pesan ini tidak punya "
    "template, jadi tidak dapat dikirim."
)
ERROR_DECRYPT = "Nomor penerima tidak dapat dibuka (kunci identitas berbeda?)."
ERROR_UNKNOWN_RECIPIENT = "Nomor penerima tidak tercatat (kontak warga belum ada)."
ERROR_DELIVERY_FAILED = "WhatsApp melaporkan pesan gagal sampai: {detail}"

GRAPH_ERROR_EXPLANATIONS: dict[int, str] = {
    131047: "di luar jendela 24 jam, perlu template",
    131026: "nomor tidak dapat menerima pesan WhatsApp (bukan nomor WhatsApp aktif?)",
    131049: "ditahan WhatsApp untuk menjaga keterlibatan pengguna",
    131050: "penerima menolak pesan dari bisnis ini",
    130403: "penerima diblokir oleh akun bisnis",
    130429: "batas kecepatan kirim WhatsApp tercapai",
    131056: "terlalu banyak pesan ke penerima yang sama",
    131000: "kesalahan di WhatsApp",
    131016: "layanan WhatsApp sedang tidak tersedia",
    131057: "akun WhatsApp sedang dalam pemeliharaan",
    132000: "jumlah parameter template tidak cocok",
    132001: "template tidak ada atau belum disetujui untuk bahasa ini",
    132005: "teks template terlalu panjang",
    132007: "template melanggar kebijakan WhatsApp",
    132012: "format parameter template salah",
    132015: "template dijeda oleh WhatsApp",
    132016: "template dinonaktifkan oleh WhatsApp",
    131051: "jenis pesan tidak didukung",
    131042: "masalah metode pembayaran akun WhatsApp Business",
    190: "token akses WhatsApp tidak berlaku",
    10: "izin akses WhatsApp kurang",
    100: "parameter tidak valid (kesalahan sistem)",
    131008: "parameter wajib tidak ada (kesalahan sistem)",
    131009: "nilai parameter tidak valid (kesalahan sistem)",
}
"""Short Bahasa Indonesia explanations of Graph error codes, for the ticket page."""

# ------------------------------------------------------------ SKM survey invitation (issue 6)

SURVEY_INVITATION_TEMPLATE_BODY = (
    "Terima kasih sudah menggunakan La-Lisa, layanan pengaduan Satpol PP Kabupaten Balangan. "
    "Laporan Anda nomor {{1}} sudah ditutup.\n\n"
    "Mohon bantu kami memperbaiki layanan dengan mengisi survei kepuasan singkat "
    "(9 pertanyaan pilihan, sekitar 2 menit). Jawaban Anda tidak memengaruhi laporan Anda.\n\n"
    "Tekan Isi survei untuk mulai, atau Tidak mau jika tidak bersedia."
)
"""Body of the survey invitation template ({{1}} nomor laporan), with two quick-reply buttons
(:data:`SURVEY_BUTTON_START`, :data:`SURVEY_BUTTON_DECLINE`), name in
``WHATSAPP_TEMPLATE_SURVEY_INVITATION``."""

SURVEY_INVITATION_TEXT = (
    "Terima kasih sudah menggunakan La-Lisa. Laporan Anda nomor *{number}* sudah ditutup.\n\n"
    "Mohon bantu kami memperbaiki layanan dengan mengisi *survei kepuasan* singkat "
    "(9 pertanyaan pilihan, sekitar 2 menit). Jawaban Anda tidak memengaruhi laporan Anda, "
    "dan bisa dilanjutkan kapan saja dengan mengetik *lanjutkan survei*."
)
SURVEY_BUTTON_START = "Isi survei"
SURVEY_BUTTON_DECLINE = "Tidak mau"
