"""The recap's query string: period, category, kecamatan and desa, parsed and re-encoded.

The same parameters drive the page, the drill-down lists and the exports, so a link from a
figure to its tickets carries exactly the filter the figure was computed with.
"""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode

from backoffice.tickets.common import kecamatan_names
from lalisa.core.settings import get_settings
from lalisa.places.geo import GEO_DIR
from lalisa.reports.recap import (
    PERIOD_KINDS,
    Period,
    PeriodError,
    RecapFilter,
    custom_period,
    month_period,
    quarter_period,
    year_period,
)
from lalisa.tickets.categories import CATEGORY_LABELS


@functools.cache
def desa_by_kecamatan() -> dict[str, tuple[str, ...]]:
    """Desa names per kecamatan, from the shipped crosswalk."""
    names: dict[str, list[str]] = {}
    path = GEO_DIR / "balangan_desa_kemendagri_bps_crosswalk.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names.setdefault(row["kecamatan"], []).append(row["nama"])
    return {kecamatan: tuple(sorted(desa)) for kecamatan, desa in names.items()}


def _int(raw: str, default: int) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        return default


@dataclass(frozen=True)
class RecapQuery:
    """The recap parameters as typed (kept for the form and the links).

    Attributes:
        periode: ``bulan``, ``triwulan``, ``tahun`` or ``rentang``.
        tahun: Year (month, quarter and year periods).
        bulan: Month 1–12.
        triwulan: Quarter 1–4.
        dari: First day (``rentang``), ``YYYY-MM-DD``.
        sampai: Last day (``rentang``), ``YYYY-MM-DD``.
        kategori: Category id or empty.
        kecamatan: Kecamatan name or empty.
        desa: Desa name or empty.
    """

    periode: str = "bulan"
    tahun: int = 2026
    bulan: int = 1
    triwulan: int = 1
    dari: str = ""
    sampai: str = ""
    kategori: str = ""
    kecamatan: str = ""
    desa: str = ""

    @classmethod
    def from_params(cls, params: dict[str, str], *, today: date | None = None) -> RecapQuery:
        """Read the query parameters; missing ones default to the current month.

        Args:
            params: Query parameters.
            today: The local date (tests); defaults to today in the agency's zone.

        Returns:
            The query (not validated yet; see :meth:`to_filter`).
        """
        today = today or datetime.now(timezone.utc).astimezone(get_settings().office.tz).date()
        kind = params.get("periode", "").strip()
        return cls(
            periode=kind if kind in PERIOD_KINDS else "bulan",
            tahun=_int(params.get("tahun", ""), today.year),
            bulan=_int(params.get("bulan", ""), today.month),
            triwulan=_int(params.get("triwulan", ""), (today.month - 1) // 3 + 1),
            dari=params.get("dari", "").strip()[:10],
            sampai=params.get("sampai", "").strip()[:10],
            kategori=params.get("kategori", "").strip()[:40],
            kecamatan=params.get("kecamatan", "").strip()[:64],
            desa=params.get("desa", "").strip()[:64],
        )

    def period(self) -> Period:
        """The period these parameters name.

        Raises:
            PeriodError: Invalid values (message for the officer).
        """
        if self.periode == "tahun":
            return year_period(self.tahun)
        if self.periode == "triwulan":
            return quarter_period(self.tahun, self.triwulan)
        if self.periode == "rentang":
            try:
                first = date.fromisoformat(self.dari)
                last = date.fromisoformat(self.sampai)
            except ValueError as exc:
                raise PeriodError("Isi tanggal awal dan akhir dengan format TTTT-BB-HH.") from exc
            return custom_period(first, last)
        return month_period(self.tahun, self.bulan)

    def to_filter(self) -> RecapFilter:
        """The validated filter.

        Raises:
            PeriodError: Invalid period, unknown category, kecamatan or desa.
        """
        if self.kategori and self.kategori not in CATEGORY_LABELS:
            raise PeriodError("Kategori tidak dikenal.")
        if self.kecamatan and self.kecamatan not in kecamatan_names():
            raise PeriodError("Kecamatan tidak dikenal.")
        if self.desa and (
            not self.kecamatan or self.desa not in desa_by_kecamatan().get(self.kecamatan, ())
        ):
            raise PeriodError("Desa tidak dikenal di kecamatan yang dipilih.")
        return RecapFilter(
            period=self.period(),
            category=self.kategori or None,
            kecamatan=self.kecamatan or None,
            desa=self.desa or None,
        )

    def values(self, **override: Any) -> dict[str, str]:
        """The parameters that matter for this period kind, as strings (empty ones dropped)."""
        query = replace(self, **{k: v for k, v in override.items() if k in _FIELDS})
        values: dict[str, Any] = {"periode": query.periode}
        if query.periode == "rentang":
            values.update(dari=query.dari, sampai=query.sampai)
        else:
            values["tahun"] = query.tahun
            if query.periode == "bulan":
                values["bulan"] = query.bulan
            elif query.periode == "triwulan":
                values["triwulan"] = query.triwulan
        values.update(kategori=query.kategori, kecamatan=query.kecamatan, desa=query.desa)
        values.update({k: v for k, v in override.items() if k not in _FIELDS})
        return {key: str(value) for key, value in values.items() if value not in ("", None)}

    def query(self, **override: Any) -> str:
        """Query string of these parameters with ``override`` applied."""
        return urlencode(self.values(**override))

    def to_json(self) -> str:
        """JSON of the parameters (stored with an export job)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> RecapQuery:
        """Inverse of :meth:`to_json`."""
        data = json.loads(raw)
        return cls(**{key: data[key] for key in _FIELDS if key in data})


_FIELDS = frozenset(RecapQuery.__dataclass_fields__)
