"""Reading the citizen's typed or tapped survey answers (pure functions of lalisa.survey)."""

from __future__ import annotations

import pytest

from lalisa.survey.service import MASK, is_decline, is_pause, mask_identity, parse_score


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("1", 1),
        ("4", 4),
        (" 3 ", 3),
        ("3.", 3),
        ("2)", 2),
        ("4 - Sangat baik", 4),
        # A reason after the digit does not change it ("jelas" alone would read 3).
        ("4, fotonya jelas", 4),
        ("2, petugasnya lama datang tapi ramah", 2),
        ("3; lumayan cepat", 3),
        ("1 - Tidak baik", 1),
        ("sangat puas", 4),
        ("Sangat baik", 4),
        ("puas bgt", 4),
        ("mantap", 4),
        ("gratis", 4),
        ("tidak gratis", 1),
        ("puas", 3),
        ("baik", 3),
        ("sesuai", 3),
        ("lumayan", 3),
        ("ok", 3),
        ("kurang", 2),
        ("kurang puas", 2),
        ("krg baik", 2),
        ("tidak puas", 1),
        ("ga baik", 1),
        ("gak sesuai", 1),
        ("sangat tidak puas", 1),
        ("buruk", 1),
        ("kecewa", 1),
    ],
)
def test_parse_score(text: str, score: int) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize(
    "text", [None, "", "5", "0", "12", "3,5", "cek status", "halo", "LLS-2026-000123", "x" * 80]
)
def test_parse_score_rejects_non_answers(text: str | None) -> None:
    assert parse_score(text) is None


@pytest.mark.parametrize(
    ("text", "declined"),
    [
        ("tidak mau", True),
        ("ga mau isi survei", True),
        ("gak usah", True),
        ("tidak bersedia", True),
        ("malas", True),
        ("mau", False),
        ("3", False),
        ("tidak puas", False),
        ("", False),
        ("petugasnya malas datang ke lokasi waktu itu, tolong diperbaiki", False),
    ],
)
def test_is_decline(text: str, declined: bool) -> None:
    assert is_decline(text) is declined


def test_mask_identity() -> None:
    masked = mask_identity(
        "Hubungi saya 0812-3456-7890 atau +62 813 1111 2222, email budi@contoh.id, "
        "NIK 6311012345678901. Petugas ramah."
    )
    assert "0812" not in masked and "813" not in masked and "budi@" not in masked
    assert "6311012345678901" not in masked
    assert masked.count(MASK) == 4
    assert masked.endswith("Petugas ramah.")
    assert mask_identity("Pelayanan 2 hari, bagus") == "Pelayanan 2 hari, bagus"


@pytest.mark.parametrize(
    ("text", "paused"),
    [
        ("nanti saja", True),
        ("besok ya", True),
        ("lagi sibuk", True),
        ("3", False),
        ("nanti petugasnya sebaiknya datang lebih cepat kalau ada laporan malam", False),
    ],
)
def test_is_pause(text: str, paused: bool) -> None:
    assert is_pause(text) is paused
