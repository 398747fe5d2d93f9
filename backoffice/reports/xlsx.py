"""The recap as a spreadsheet: one row per ticket, and a summary sheet.

No complaint text and no reporter identity: the reporter appears as a stable pseudonym. Only
an export requested by a role that may reveal identities, with a reason, adds the name and
WhatsApp number columns (see :mod:`backoffice.reports.views`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lalisa.reports.recap import (
    CHANNEL_LABELS,
    RESOLUTION_TARGET,
    Recap,
    TicketFacts,
    format_duration,
)
from lalisa.tickets.categories import category_label
from lalisa.tickets.labels import REASON_CODES, STAFF_STATUS_LABELS

XLSX_CHUNK: Final = 250
"""Rows written between two progress updates."""

TICKET_SHEET: Final = "Aduan"
SUMMARY_SHEET: Final = "Ringkasan"

HEADERS: Final = (
    "Nomor aduan",
    "Diterima",
    "Kategori",
    "Kecamatan",
    "Desa",
    "Status",
    "Alasan tidak dapat ditindaklanjuti",
    "Dialihkan ke",
    "Duplikat dari",
    "Kanal",
    "Di luar jam kerja",
    "Respons pertama",
    "Disposisi pertama ke TRC",
    "TRC tiba di lokasi",
    "Ditutup",
    "Lama respons pertama (jam)",
    "Lama sampai ditutup (jam)",
    "Pernah dibuka kembali",
    "Lewat tenggat",
    "Ditutup melewati tenggat",
    "Pelapor (pseudonim)",
)
"""Column titles of the ticket sheet (without identity)."""

IDENTITY_HEADERS: Final = ("Nama pelapor", "Nomor WhatsApp pelapor")
_DATE_COLUMNS: Final = tuple(
    HEADERS.index(title) + 1
    for title in (
        "Diterima",
        "Respons pertama",
        "Disposisi pertama ke TRC",
        "TRC tiba di lokasi",
        "Ditutup",
    )
)


@dataclass(frozen=True)
class Identity:
    """A decrypted reporter identity for an identity export."""

    phone: str
    name: str | None


def _yes(value: bool) -> str:
    return "Ya" if value else "Tidak"


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


class RecapWorkbook:
    """Builds the workbook in chunks (the job reports progress between chunks)."""

    def __init__(self, recap: Recap, identities: Mapping[int, Identity] | None) -> None:
        """Start the workbook with the summary sheet and the ticket sheet's header."""
        self.recap = recap
        self.identities = identities
        self.workbook = Workbook()
        self.tz = recap.recap_filter.period.tz
        self.sheet = self.workbook.active
        self.sheet.title = TICKET_SHEET
        headers = HEADERS + (IDENTITY_HEADERS if identities is not None else ())
        self.sheet.append(list(headers))
        for cell in self.sheet[1]:
            cell.font = Font(bold=True)
        self.sheet.freeze_panes = "A2"
        self.rows_written = 0
        for index, title in enumerate(headers, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = max(12, len(title) + 2)
        self._summary()

    def _local(self, value: datetime | None) -> datetime | None:
        # Spreadsheets have no time zones: write the agency's local wall-clock time.
        return None if value is None else value.astimezone(self.tz).replace(tzinfo=None)

    def add_rows(self, facts: Sequence[TicketFacts]) -> None:
        """Append one row per ticket."""
        for item in facts:
            row: list[object] = [
                item.number,
                self._local(item.created_at),
                category_label(item.category),
                item.kecamatan or "",
                item.desa or "",
                STAFF_STATUS_LABELS[item.status],
                REASON_CODES.get(item.reason_code or "", "") if item.reason_code else "",
                item.redirected_to or "",
                item.duplicate_of or "",
                CHANNEL_LABELS.get(item.channel, item.channel),
                _yes(item.out_of_hours),
                self._local(item.first_response_at),
                self._local(item.first_dispatch_at),
                self._local(item.on_site_at),
                self._local(item.closed_at),
                _hours(item.seconds_to("first_response")),
                _hours(item.seconds_to("closure")),
                _yes(item.reopened),
                _yes(item.overdue),
                _yes(item.closed_late),
                item.reporter_ref,
            ]
            if self.identities is not None:
                identity = self.identities.get(item.id)
                if identity is None:
                    row.extend(["", ""])
                else:
                    row.extend([identity.name or "", identity.phone])
            self.sheet.append(row)
            # Track the row index: ``max_row`` scans the whole sheet (quadratic export time).
            self.rows_written += 1
            index = self.rows_written + 1
            for column, value in enumerate(row, start=1):
                # Officer-typed text (agency names) must never become a live formula.
                if isinstance(value, str) and value.startswith("="):
                    self.sheet.cell(row=index, column=column).data_type = "s"
            for column in _DATE_COLUMNS:
                self.sheet.cell(row=index, column=column).number_format = "yyyy-mm-dd hh:mm"

    def _summary(self) -> None:
        recap = self.recap
        counts = recap.counts
        sheet = self.workbook.create_sheet(SUMMARY_SHEET)
        period = recap.recap_filter.period
        rows: list[tuple[str, object]] = [
            ("Laporan Rekapitulasi Pengaduan La-Lisa", ""),
            ("Periode", period.label),
            (
                "Kategori",
                category_label(recap.recap_filter.category)
                if recap.recap_filter.category
                else "Semua",
            ),
            ("Kecamatan", recap.recap_filter.kecamatan or "Semua"),
            ("Desa", recap.recap_filter.desa or "Semua"),
            ("Keadaan per", self._local(recap.generated_at)),
            ("", ""),
            ("Diterima", counts.received),
            ("Dalam proses", counts.in_progress),
            ("Selesai ditindaklanjuti", counts.resolved),
            ("Tidak dapat ditindaklanjuti", counts.refused),
            *[(f"  - {REASON_CODES[code]}", count) for code, count in counts.refused_by_reason],
            ("Dialihkan", counts.forwarded),
            ("Duplikat", counts.duplicates),
            ("Pernah dibuka kembali", counts.reopened),
            ("Lewat tenggat (masih terbuka)", counts.overdue),
            ("Ditutup melewati tenggat", counts.closed_late),
            ("Diterima di luar jam kerja", counts.out_of_hours),
            (
                "Rasio penyelesaian (tuntas / (diterima - duplikat))",
                round(counts.resolution_ratio, 4) if counts.resolution_ratio is not None else "-",
            ),
            ("Target rasio penyelesaian", RESOLUTION_TARGET),
            (
                "Rasio selesai ditindaklanjuti (selesai / (diterima - duplikat))",
                round(counts.strict_ratio, 4) if counts.strict_ratio is not None else "-",
            ),
            ("", ""),
            ("Waktu (dari aduan diterima)", "Median / p90"),
            *[
                (
                    f"{stat.label} ({stat.count} aduan)",
                    f"{format_duration(stat.median_seconds)} / {format_duration(stat.p90_seconds)}",
                )
                for stat in recap.durations
            ],
        ]
        for label, value in rows:
            sheet.append([label, value])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.column_dimensions["A"].width = 62
        sheet.column_dimensions["B"].width = 32
        sheet["B6"].number_format = "yyyy-mm-dd hh:mm"

    def to_bytes(self) -> bytes:
        """The finished workbook."""
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()
