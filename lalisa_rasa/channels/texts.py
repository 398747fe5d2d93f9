"""Texts the channel itself sends to citizens (Bahasa Indonesia).

These replies never go through Rasa: they answer inputs the assistant cannot use
(stickers, reactions, unsupported message types, refused media), a message that waited too
long (``stale``) and, while the queue is long, a new conversation's first message (``busy``).
Voice notes are stored (as media) but nobody listens to them here: the texts never name them
among what La-Lisa reads (the assistant's own replies to one ask for the words typed).
"""

from __future__ import annotations

REPLIES: dict[str, str] = {
    "sticker": (
        "Terima kasih stikernya 🙏. La-Lisa hanya bisa membaca pesan teks, lokasi, "
        "foto, video, dan dokumen. Silakan tuliskan pesan Anda."
    ),
    "reaction": (
        "Terima kasih atas tanggapan Anda 🙏. Jika ada yang ingin disampaikan, "
        "silakan tuliskan pesan Anda."
    ),
    "unsupported": (
        "Maaf, jenis pesan ini belum bisa dibaca oleh La-Lisa. Silakan kirim pesan "
        "teks, lokasi, foto, video, atau dokumen."
    ),
    "media_too_large": (
        "Maaf, berkas Anda terlalu besar untuk kami terima (maksimal {limit_mb} MB). "
        "Silakan kirim foto atau video yang lebih kecil, misalnya video yang lebih pendek."
    ),
    "media_type_not_allowed": (
        "Maaf, jenis berkas ini tidak dapat kami terima. Silakan kirim foto (JPG/PNG), "
        "video (MP4), atau dokumen PDF; keterangan silakan diketik."
    ),
    "media_failed": (
        "Maaf, berkas Anda gagal kami terima karena gangguan teknis. "
        "Silakan coba kirim ulang beberapa saat lagi."
    ),
    "error": (
        "Mohon maaf, La-Lisa sedang mengalami gangguan. Silakan coba lagi beberapa saat lagi."
    ),
    "busy": (
        "Mohon maaf, La-Lisa sedang ramai melayani banyak warga. Pesan Anda sudah kami "
        "terima dan akan dijawab sesuai urutan, mohon ditunggu. Tidak perlu mengirim ulang."
    ),
    "stale": (
        "Mohon maaf, pesan Anda baru kami terima sekarang karena gangguan layanan. "
        "Silakan kirim ulang pesan Anda agar La-Lisa dapat membantu."
    ),
}

#: Default body for interactive messages whose Rasa response has no text.
DEFAULT_CHOICE_PROMPT = "Silakan pilih salah satu:"
#: Label of the button that opens a list message (at most 20 characters).
LIST_BUTTON_LABEL = "Lihat pilihan"
#: Title of the single section of a list message (at most 24 characters).
LIST_SECTION_TITLE = "Pilihan"
#: Line placed under a numbered text menu.
NUMBERED_MENU_HINT = "Balas dengan nomor pilihan Anda (contoh: 1)."
#: Body of the location request message.
LOCATION_REQUEST_DEFAULT = "Silakan kirim lokasi kejadian dengan menekan tombol di bawah."


def reply_text(key: str, **values: object) -> str:
    """Returns the citizen-facing reply for ``key``, formatted with ``values``.

    Args:
        key: One of the keys of :data:`REPLIES`; unknown keys fall back to ``unsupported``.
        **values: Placeholders used by the text (e.g. ``limit_mb``).

    Returns:
        The text in Bahasa Indonesia.
    """
    template = REPLIES.get(key, REPLIES["unsupported"])
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
