"""SKM computation (PermenPANRB No. 14 Tahun 2017), pure functions only.

The regulation's method, for the nine *unsur* on the 1–4 perception scale:

* ``NRR_u`` (nilai rata-rata per unsur) = sum of the answers to unsur ``u`` / number of
  answers to ``u``;
* ``SKM`` = Σ ``NRR_u`` x weight (1..4);
* ``IKM`` (nilai interval konversi) = ``SKM`` x 25 (25..100);
* the *mutu pelayanan* band (A/B/C/D) is read on the IKM **rounded to two decimals**, with the
  thresholds ``≥ 88,31 A``, ``≥ 76,61 B``, ``≥ 65,00 C``, else ``D``.

Weighting. La-Lisa computes with the exact weight 1/9 by default (:attr:`Weighting.EXACT`)
and rounds only the final IKM: using the regulation's rounded weight changes the result (nine
weights of 0,111 sum to 0,999, nine of 0,11 to 0,99, so the IKM comes out lower than the data
says). Auditors who recompute "by the book" can select :attr:`Weighting.ROUNDED_0111` (0,111)
or :attr:`Weighting.ROUNDED_011` (0,11, the worked example in the regulation's appendix).

When an unsur has no answer at all in the period, the exact method averages the unsur that
have answers (weight 1/number of answered unsur, as the regulation's "total unsur yang
terisi"); the rounded variants keep their fixed weight, as an auditor's spreadsheet would.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

__all__ = [
    "MUTU_LABELS",
    "SCORE_MAX",
    "SCORE_MIN",
    "UNSUR",
    "UNSUR_LABELS",
    "SkmResult",
    "UnsurResult",
    "Weighting",
    "compute",
    "ikm_of",
    "mutu_for",
    "nrr",
    "round2",
    "skm_of",
    "weakest",
]

UNSUR: Final[tuple[str, ...]] = (
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "pengaduan",
    "sarana",
)
"""The nine unsur in the regulation's order (keys used in the database and the dialogue)."""

UNSUR_LABELS: Final[Mapping[str, str]] = {
    "persyaratan": "Persyaratan",
    "prosedur": "Sistem, Mekanisme, dan Prosedur",
    "waktu": "Waktu Penyelesaian",
    "biaya": "Biaya/Tarif",
    "produk": "Produk Spesifikasi Jenis Pelayanan",
    "kompetensi": "Kompetensi Pelaksana",
    "perilaku": "Perilaku Pelaksana",
    "pengaduan": "Penanganan Pengaduan, Saran dan Masukan",
    "sarana": "Sarana dan Prasarana",
}
"""Official names of the unsur (Bahasa Indonesia, as in the regulation)."""

SCORE_MIN: Final = 1
SCORE_MAX: Final = 4

MUTU_LABELS: Final[Mapping[str, str]] = {
    "A": "Sangat baik",
    "B": "Baik",
    "C": "Kurang baik",
    "D": "Tidak baik",
}
"""*Kinerja unit pelayanan* for each mutu band."""

_BANDS: Final[tuple[tuple[Decimal, str], ...]] = (
    (Decimal("88.31"), "A"),
    (Decimal("76.61"), "B"),
    (Decimal("65.00"), "C"),
)


class Weighting(str, enum.Enum):
    """How the unsur are weighted in the SKM."""

    EXACT = "exact"
    """Weight 1/9 computed exactly (La-Lisa's default)."""
    ROUNDED_0111 = "0.111"
    """The regulation's rounded weight 0,111."""
    ROUNDED_011 = "0.11"
    """The rounded weight 0,11 of the regulation's worked example."""

    @property
    def label(self) -> str:
        """Bahasa Indonesia label for the back office."""
        return {
            Weighting.EXACT: "Bobot tepat 1/9 (baku La-Lisa)",
            Weighting.ROUNDED_0111: "Bobot dibulatkan 0,111 (cara peraturan)",
            Weighting.ROUNDED_011: "Bobot dibulatkan 0,11 (contoh perhitungan peraturan)",
        }[self]

    def weight(self, answered_unsur: int) -> Fraction:
        """Weight of one unsur.

        Args:
            answered_unsur: Number of unsur that have at least one answer.

        Returns:
            The weight as an exact fraction.
        """
        if self is Weighting.EXACT:
            return Fraction(1, answered_unsur) if answered_unsur else Fraction(0)
        return Fraction(self.value)


def round2(value: Fraction | Decimal | float) -> Decimal:
    """Round half up to two decimals (how the regulation's tables are rounded).

    Args:
        value: Any number; fractions are converted exactly.

    Returns:
        The rounded decimal.
    """
    if isinstance(value, Fraction):
        decimal = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        decimal = Decimal(str(value)) if isinstance(value, float) else value
    return decimal.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def mutu_for(ikm: Fraction | Decimal | float) -> str:
    """Return the mutu band of an IKM (or NRR x 25) value, read on its two-decimal rounding.

    Args:
        ikm: Value on the 25–100 scale.

    Returns:
        ``"A"``, ``"B"``, ``"C"`` or ``"D"``.
    """
    rounded = round2(ikm)
    for threshold, band in _BANDS:
        if rounded >= threshold:
            return band
    return "D"


def nrr(scores: Iterable[int]) -> Fraction | None:
    """Return the NRR of one unsur: the mean of its answers.

    Args:
        scores: The answers (1..4).

    Returns:
        The exact mean, or ``None`` without answers.

    Raises:
        ValueError: A score outside 1..4.
    """
    values = list(scores)
    for value in values:
        if not SCORE_MIN <= value <= SCORE_MAX or isinstance(value, bool):
            raise ValueError(f"score {value!r} is outside {SCORE_MIN}..{SCORE_MAX}")
    if not values:
        return None
    return Fraction(sum(values), len(values))


def skm_of(nrrs: Mapping[str, Fraction | None], weighting: Weighting = Weighting.EXACT) -> Fraction:
    """Return the SKM (1..4) from the NRR of each unsur.

    Args:
        nrrs: NRR per unsur; ``None`` for an unsur without answers.
        weighting: See :class:`Weighting`.

    Returns:
        Σ NRR x weight over the unsur that have answers.

    Raises:
        ValueError: No unsur has an answer.
    """
    filled = [value for value in nrrs.values() if value is not None]
    if not filled:
        raise ValueError("no answers")
    weight = weighting.weight(len(filled))
    return sum((value * weight for value in filled), Fraction(0))


def ikm_of(skm: Fraction) -> Fraction:
    """Return the IKM (nilai interval konversi) of an SKM: SKM x 25."""
    return skm * 25


@dataclass(frozen=True)
class UnsurResult:
    """The result of one unsur.

    Attributes:
        key: Unsur key (see :data:`UNSUR`).
        label: Official name.
        count: Number of answers.
        total: Sum of the answers.
        nrr: Exact NRR, ``None`` without answers.
        nrr_rounded: NRR rounded to two decimals.
        converted: NRR x 25 rounded to two decimals (0–100 view for leadership).
        mutu: Band of the converted value.
        weakest: One of the two lowest unsur (improvement items).
    """

    key: str
    label: str
    count: int
    total: int
    nrr: Fraction | None
    nrr_rounded: Decimal | None
    converted: Decimal | None
    mutu: str | None
    weakest: bool = False


@dataclass(frozen=True)
class SkmResult:
    """SKM of a set of responses.

    Attributes:
        unsur: Per-unsur results in the regulation's order.
        weighting: The weighting used.
        skm: Exact SKM (1..4), ``None`` without answers.
        skm_rounded: SKM rounded to two decimals.
        ikm: IKM rounded to two decimals (the published value).
        mutu: Band of the IKM.
        respondents: Responses with at least one answer.
    """

    unsur: tuple[UnsurResult, ...]
    weighting: Weighting
    skm: Fraction | None
    skm_rounded: Decimal | None
    ikm: Decimal | None
    mutu: str | None
    respondents: int

    @property
    def mutu_label(self) -> str | None:
        """*Kinerja unit pelayanan* of the band."""
        return MUTU_LABELS[self.mutu] if self.mutu else None


def weakest(results: Sequence[UnsurResult], count: int = 2) -> set[str]:
    """Return the keys of the ``count`` lowest unsur (ties: the regulation's order decides).

    Args:
        results: Per-unsur results.
        count: How many.

    Returns:
        Keys of unsur with answers.
    """
    answered = [r for r in results if r.nrr is not None]
    order = {key: index for index, key in enumerate(UNSUR)}
    answered.sort(key=lambda r: (r.nrr, order.get(r.key, 99)))
    return {r.key for r in answered[:count]}


def compute(
    responses: Iterable[Mapping[str, int | None]], weighting: Weighting = Weighting.EXACT
) -> SkmResult:
    """Compute NRR per unsur, SKM, IKM and mutu from survey responses.

    Args:
        responses: One mapping per respondent, unsur key → score (1..4) or ``None``
            (unanswered; a partial response counts for the unsur it answered).
        weighting: See :class:`Weighting`.

    Returns:
        The result; ``skm``/``ikm``/``mutu`` are ``None`` when nobody answered anything.

    Raises:
        ValueError: A score outside 1..4.
    """
    answers: dict[str, list[int]] = {key: [] for key in UNSUR}
    respondents = 0
    for response in responses:
        answered = False
        for key in UNSUR:
            score = response.get(key)
            if score is not None:
                answers[key].append(int(score))
                answered = True
        respondents += answered
    partial = []
    for key in UNSUR:
        value = nrr(answers[key])
        partial.append(
            UnsurResult(
                key=key,
                label=UNSUR_LABELS[key],
                count=len(answers[key]),
                total=sum(answers[key]),
                nrr=value,
                nrr_rounded=None if value is None else round2(value),
                converted=None if value is None else round2(value * 25),
                mutu=None if value is None else mutu_for(value * 25),
            )
        )
    low = weakest(partial)
    results = tuple(UnsurResult(**{**r.__dict__, "weakest": r.key in low}) for r in partial)
    nrrs = {r.key: r.nrr for r in results}
    if all(value is None for value in nrrs.values()):
        return SkmResult(results, weighting, None, None, None, None, 0)
    skm = skm_of(nrrs, weighting)
    ikm = ikm_of(skm)
    return SkmResult(
        unsur=results,
        weighting=weighting,
        skm=skm,
        skm_rounded=round2(skm),
        ikm=round2(ikm),
        mutu=mutu_for(ikm),
        respondents=respondents,
    )
