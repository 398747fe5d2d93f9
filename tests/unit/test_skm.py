"""SKM computation (lalisa.survey.skm) against hand computations and the band boundaries."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from lalisa.survey.skm import UNSUR, Weighting, compute, ikm_of, mutu_for, nrr, round2, skm_of

# Four respondents; columns in the regulation's order (persyaratan … sarana).
FOUR_RESPONDENTS = [
    dict(zip(UNSUR, row, strict=True))
    for row in (
        (4, 3, 2, 4, 3, 3, 4, 2, 3),
        (3, 3, 3, 4, 4, 3, 4, 2, 3),
        (3, 3, 4, 4, 3, 4, 4, 3, 3),
        (4, 3, 3, 4, 4, 4, 3, 3, 2),
    )
]
# By hand: NRR = 3.5, 3, 3, 4, 3.5, 3.5, 3.75, 2.5, 2.75; sum NRR = 29.5.


# A published worked example applying the regulation (29 respondents, "Triwulan III", in
# rennn9/GASPUL_BACKEND rumus_perhitungan_ikm_lengkap.md, cited in the reference notes):
# answers per unsur as {score: respondents}. That document swaps unsur 8 and 9; with equal
# weights the order does not change the result.
WORKED_EXAMPLE = {
    "persyaratan": {4: 18, 3: 11},  # 105
    "prosedur": {4: 14, 3: 15},  # 101
    "waktu": {4: 15, 3: 12, 2: 2},  # 100
    "biaya": {4: 29},  # 116
    "produk": {4: 15, 3: 14},  # 102
    "kompetensi": {4: 18, 3: 11},  # 105
    "perilaku": {4: 19, 3: 10},  # 106
    "pengaduan": {4: 28, 3: 1},  # 115
    "sarana": {4: 18, 3: 11},  # 105
}


def _worked_example_responses() -> list[dict[str, int | None]]:
    columns = {
        key: [score for score, count in sorted(spread.items()) for _ in range(count)]
        for key, spread in WORKED_EXAMPLE.items()
    }
    return [{key: columns[key][row] for key in UNSUR} for row in range(29)]


def test_published_worked_example() -> None:
    responses = _worked_example_responses()
    exact = compute(responses)
    # Totals 955 over 29 x 9 answers: 955 / 261 x 25 = 91.475… -> 91.48, as published for
    # the "rata-rata NRR" method.
    assert [r.total for r in exact.unsur] == [105, 101, 100, 116, 102, 105, 106, 115, 105]
    assert [str(r.nrr_rounded) for r in exact.unsur][:3] == ["3.62", "3.48", "3.45"]
    assert exact.skm == Fraction(955, 261)
    assert exact.ikm == Decimal("91.48") and exact.mutu == "A"
    # The same document's weighted table uses 0.11 per unsur: 3.6224 x 25 = 90.56.
    assert compute(responses, Weighting.ROUNDED_011).ikm == Decimal("90.56")
    # 0.111: 955/29 x 0.111 x 25 = 91.38
    assert compute(responses, Weighting.ROUNDED_0111).ikm == Decimal("91.38")
    assert {r.key for r in exact.unsur if r.weakest} == {"waktu", "prosedur"}


def test_nrr_per_unsur_by_hand() -> None:
    result = compute(FOUR_RESPONDENTS)
    expected = [3.5, 3, 3, 4, 3.5, 3.5, 3.75, 2.5, 2.75]
    assert [r.nrr for r in result.unsur] == [Fraction(value) for value in expected]
    assert [r.count for r in result.unsur] == [4] * 9
    assert result.unsur[0].total == 14
    assert result.respondents == 4


def test_exact_weighting_by_hand() -> None:
    result = compute(FOUR_RESPONDENTS)
    # SKM = 29.5 / 9 = 3.2777…; IKM = 81.9444… → 81.94, band B.
    assert result.skm == Fraction(59, 18)
    assert result.skm_rounded == Decimal("3.28")
    assert result.ikm == Decimal("81.94")
    assert result.mutu == "B"
    assert result.mutu_label == "Baik"


@pytest.mark.parametrize(
    ("weighting", "ikm"),
    [
        # 29.5 x 0.111 = 3.2745 → x 25 = 81.8625 → 81.86
        (Weighting.ROUNDED_0111, Decimal("81.86")),
        # 29.5 x 0.11 = 3.245 → x 25 = 81.125 → 81.13 (half up)
        (Weighting.ROUNDED_011, Decimal("81.13")),
    ],
)
def test_rounded_weight_variants_by_hand(weighting: Weighting, ikm: Decimal) -> None:
    result = compute(FOUR_RESPONDENTS, weighting)
    assert result.ikm == ikm
    assert result.weighting is weighting
    assert result.ikm < compute(FOUR_RESPONDENTS).ikm  # the rounded weights sum to < 1


def test_rounded_weights_can_change_the_band() -> None:
    # NRRs of 3.5324 everywhere sit right on the A boundary: 1/9 keeps A (88.31), 0.111
    # gives 3.5324 x 0.999 x 25 = 88.22 (B).
    nrrs = {key: Fraction("3.5324") for key in UNSUR}
    assert mutu_for(ikm_of(skm_of(nrrs))) == "A"
    assert round2(ikm_of(skm_of(nrrs, Weighting.ROUNDED_0111))) == Decimal("88.22")
    assert mutu_for(ikm_of(skm_of(nrrs, Weighting.ROUNDED_0111))) == "B"


def test_weakest_two_and_per_unsur_band() -> None:
    result = compute(FOUR_RESPONDENTS)
    by_key = {r.key: r for r in result.unsur}
    assert {r.key for r in result.unsur if r.weakest} == {"pengaduan", "sarana"}
    assert by_key["pengaduan"].converted == Decimal("62.50")
    assert by_key["pengaduan"].mutu == "D"
    assert by_key["sarana"].converted == Decimal("68.75")
    assert by_key["sarana"].mutu == "C"
    assert by_key["persyaratan"].mutu == "B"  # 87.50
    assert by_key["perilaku"].mutu == "A"  # 93.75
    assert by_key["biaya"].converted == Decimal("100.00")


def test_partial_responses_count_for_the_unsur_they_answered() -> None:
    partial = {"persyaratan": 1, "prosedur": 2, "waktu": 1}
    result = compute([*FOUR_RESPONDENTS, partial])
    by_key = {r.key: r for r in result.unsur}
    assert by_key["persyaratan"].nrr == Fraction(15, 5)
    assert by_key["prosedur"].nrr == Fraction(14, 5)
    assert by_key["waktu"].count == 5
    assert by_key["sarana"].count == 4
    assert result.respondents == 5
    # sum NRR = 3 + 2.8 + 2.6 + 4 + 3.5 + 3.5 + 3.75 + 2.5 + 2.75 = 28.4 → 28.4/9x25 = 78.89
    assert result.ikm == Decimal("78.89")


def test_unsur_without_answers_exact_averages_the_answered_ones() -> None:
    result = compute([{"persyaratan": 4, "prosedur": 3}, {"persyaratan": 3}])
    # NRR 3.5 and 3 → SKM = 3.25 (weight 1/2) → IKM 81.25
    assert result.ikm == Decimal("81.25")
    # The rounded variant keeps 0.111 per unsur: 6.5 x 0.111 x 25 = 18.04 (D)
    rounded = compute(
        [{"persyaratan": 4, "prosedur": 3}, {"persyaratan": 3}], Weighting.ROUNDED_0111
    )
    assert rounded.ikm == Decimal("18.04")


def test_no_answers() -> None:
    result = compute([{}, {key: None for key in UNSUR}])
    assert result.ikm is None and result.mutu is None and result.respondents == 0
    assert all(r.nrr is None and not r.weakest for r in result.unsur)
    with pytest.raises(ValueError):
        skm_of({key: None for key in UNSUR})


def test_all_ones_and_all_fours() -> None:
    assert compute([{key: 1 for key in UNSUR}]).ikm == Decimal("25.00")
    assert compute([{key: 1 for key in UNSUR}]).mutu == "D"
    assert compute([{key: 4 for key in UNSUR}]).ikm == Decimal("100.00")
    assert compute([{key: 4 for key in UNSUR}]).mutu == "A"


@pytest.mark.parametrize(
    ("value", "band"),
    [
        ("100", "A"),
        ("88.31", "A"),
        ("88.305", "A"),  # rounds half up to 88.31
        ("88.3049", "B"),
        ("88.30", "B"),
        ("76.61", "B"),
        ("76.605", "B"),
        ("76.6049", "C"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.995", "C"),
        ("64.99", "D"),
        ("25", "D"),
    ],
)
def test_band_boundaries_on_the_two_decimal_value(value: str, band: str) -> None:
    assert mutu_for(Decimal(value)) == band
    assert mutu_for(Fraction(value)) == band


def test_band_boundaries_from_nilai_interval() -> None:
    # The table's NI column: 3.5324 x 25 = 88.31 (A), 3.0644 x 25 = 76.61 (B), 2.60 x 25 = 65.
    assert mutu_for(Fraction("3.5324") * 25) == "A"
    assert mutu_for(Fraction("3.532") * 25) == "B"
    assert mutu_for(Fraction("3.0644") * 25) == "B"
    assert mutu_for(Fraction("3.064") * 25) == "C"
    assert mutu_for(Fraction("2.60") * 25) == "C"
    assert mutu_for(Fraction("2.5996") * 25) == "D"


def test_nrr_rejects_out_of_range_scores() -> None:
    assert nrr([]) is None
    assert nrr([1, 4]) == Fraction(5, 2)
    with pytest.raises(ValueError):
        nrr([0])
    with pytest.raises(ValueError):
        compute([{"persyaratan": 5}])
