"""Complaint categories: canonical ids (fixed in PRODUCT.md) and their Bahasa Indonesia labels.

The ids are the values of the NLU ``category`` entity and of ``tickets.category``;
the labels are what citizens and officers read. Keeping the two apart lets the
wording change without a migration.
"""

from __future__ import annotations

CATEGORY_LABELS: dict[str, str] = {
    "pkl": "Pedagang kaki lima (PKL) di tempat terlarang",
    "reklame_liar": "Reklame/spanduk/baliho liar",
    "miras": "Minuman keras (miras/tuak)",
    "peminta_sumbangan": "Peminta sumbangan liar",
    "asusila": "Perbuatan asusila / warung remang-remang",
    "hiburan_malam": "Tempat hiburan malam",
    "ramadan": "Pelanggaran ketertiban bulan Ramadan",
    "balap_liar": "Balap liar",
    "keributan": "Keributan / perkelahian",
    "kebisingan": "Kebisingan",
    "odgj": "ODGJ (orang dengan gangguan jiwa) meresahkan",
    "gepeng": "Gelandangan dan pengemis (gepeng)",
    "sampah": "Sampah / pembuangan sampah sembarangan",
    "ternak_lepas": "Ternak lepas",
    "bangunan_liar": "Bangunan liar",
    "parkir_liar": "Parkir liar",
    "fasum_rusak": "Perusakan fasilitas umum",
    "lainnya": "Lainnya",
}

FALLBACK_CATEGORY = "lainnya"


def category_label(category: str | None) -> str:
    """Returns the Bahasa Indonesia label of a category id.

    Args:
        category: A canonical category id, or None.

    Returns:
        The label; unknown ids are shown as "Lainnya" rather than as a raw id.
    """
    if category is None:
        return CATEGORY_LABELS[FALLBACK_CATEGORY]
    return CATEGORY_LABELS.get(category, CATEGORY_LABELS[FALLBACK_CATEGORY])


def is_known_category(category: str | None) -> bool:
    """Tells whether ``category`` is one of the canonical ids."""
    return category in CATEGORY_LABELS
