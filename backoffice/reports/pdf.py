"""The printed recap: "Laporan Rekapitulasi Pengaduan La-Lisa", ready to sign.

Drawn with reportlab (its own ``reportlab.graphics`` charts, so no browser is needed): the
agency header, period, summary table with the resolution ratio and its target, two charts,
the durations, the per-category and per-area tables, and the signature block. The base-14
fonts only cover Latin-1, so the text avoids symbols outside it ("minimal 91 %", not "≥").
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from backoffice.reports.config import AGENCY_NAME, AGENCY_PARENT, REPORT_TITLE
from lalisa.core.settings import Settings
from lalisa.office.schedule import MONTH_NAMES_ID
from lalisa.reports.recap import RESOLUTION_TARGET, BreakdownRow, Recap, format_duration
from lalisa.tickets.categories import category_label
from lalisa.tickets.labels import REASON_CODES

_STATUS_COLOURS = {
    "Dalam proses": colors.HexColor("#d9a400"),
    "Selesai": colors.HexColor("#2e7d32"),
    "Tidak dapat ditindaklanjuti": colors.HexColor("#c62828"),
    "Dialihkan": colors.HexColor("#1565c0"),
    "Duplikat": colors.HexColor("#757575"),
}


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _date(value: datetime, recap: Recap) -> str:
    local = value.astimezone(recap.recap_filter.period.tz)
    return f"{local.day} {MONTH_NAMES_ID[local.month - 1]} {local.year}"


def _table(data: Sequence[Sequence[object]], widths: list[float], *, header: bool = True) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9e9e9e")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("ALIGN", (1, 0), (-1, 0), "CENTER"),
        ]
    table.setStyle(TableStyle(style))
    return table


_CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=8.5, leading=10)


def _breakdown_table(rows: tuple[BreakdownRow, ...], first_column: str) -> Table:
    data: list[list[object]] = [
        [first_column, "Diterima", "Proses", "Selesai", "Ditolak", "Dialihkan", "Duplikat",
         "Rasio"],
    ]  # fmt: skip
    for row in rows:
        counts = row.counts
        data.append(
            [
                Paragraph(escape(row.label), _CELL),
                str(counts.received),
                str(counts.in_progress),
                str(counts.resolved),
                str(counts.refused),
                str(counts.forwarded),
                str(counts.duplicates),
                _percent(counts.resolution_ratio),
            ]
        )
    if len(data) == 1:
        data.append(["Tidak ada aduan", "", "", "", "", "", "", ""])
    return _table(data, [6.2 * cm] + [1.55 * cm] * 6 + [1.7 * cm])


def _status_pie(recap: Recap) -> Drawing:
    counts = recap.counts
    parts = [
        ("Dalam proses", counts.in_progress),
        ("Selesai", counts.resolved),
        ("Tidak dapat ditindaklanjuti", counts.refused),
        ("Dialihkan", counts.forwarded),
        ("Duplikat", counts.duplicates),
    ]
    parts = [(label, value) for label, value in parts if value]
    drawing = Drawing(8 * cm, 6 * cm)
    drawing.add(String(0, 5.6 * cm, "Komposisi status", fontName="Helvetica-Bold", fontSize=9))
    if not parts:
        drawing.add(String(0, 3 * cm, "Tidak ada aduan", fontName="Helvetica", fontSize=8))
        return drawing
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 0.3 * cm, 0.8 * cm, 3.6 * cm, 3.6 * cm
    pie.data = [value for _, value in parts]
    pie.labels = [str(value) for _, value in parts]
    pie.slices.strokeColor = colors.white
    for index, (label, _) in enumerate(parts):
        pie.slices[index].fillColor = _STATUS_COLOURS[label]
    drawing.add(pie)
    y = 4.6 * cm
    for label, value in parts:
        drawing.add(String(4.3 * cm, y, f"{label}: {value}", fontName="Helvetica", fontSize=6.5))
        y -= 0.5 * cm
    return drawing


def _category_bars(recap: Recap) -> Drawing:
    rows = recap.by_category[:8]
    drawing = Drawing(9 * cm, 6 * cm)
    drawing.add(
        String(0, 5.6 * cm, "Aduan diterima per kategori", fontName="Helvetica-Bold", fontSize=9)
    )
    if not rows:
        drawing.add(String(0, 3 * cm, "Tidak ada aduan", fontName="Helvetica", fontSize=8))
        return drawing
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 3.6 * cm, 0.8 * cm, 5.2 * cm, 4.5 * cm
    chart.data = [[row.counts.received for row in reversed(rows)]]
    chart.categoryAxis.categoryNames = [_short(row.label) for row in reversed(rows)]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 6.5
    chart.bars[0].fillColor = colors.HexColor("#1565c0")
    drawing.add(chart)
    return drawing


def _area_bars(recap: Recap) -> Drawing:
    rows = recap.by_area[:12]
    title = "Rasio penyelesaian per " + recap.area_level
    drawing = Drawing(17 * cm, 6 * cm)
    drawing.add(String(0, 5.6 * cm, title, fontName="Helvetica-Bold", fontSize=9))
    if not rows:
        drawing.add(String(0, 3 * cm, "Tidak ada aduan", fontName="Helvetica", fontSize=8))
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 1.2 * cm, 1.2 * cm, 15.5 * cm, 4 * cm
    chart.data = [[round((row.counts.resolution_ratio or 0) * 100, 1) for row in rows]]
    chart.categoryAxis.categoryNames = [_short(row.label, 16) for row in rows]
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontSize = 6.5
    chart.bars[0].fillColor = colors.HexColor("#2e7d32")
    drawing.add(chart)
    # The target line: 91 % of the value axis height.
    target_y = chart.y + chart.height * RESOLUTION_TARGET
    drawing.add(Line(chart.x, target_y, chart.x + chart.width, target_y, strokeColor=colors.red))
    drawing.add(
        String(
            chart.x + chart.width - 2.6 * cm,
            target_y + 2,
            f"Target {RESOLUTION_TARGET * 100:.0f} %",
            fontName="Helvetica",
            fontSize=6.5,
            fillColor=colors.red,
        )
    )
    return drawing


def build_pdf(recap: Recap, settings: Settings) -> bytes:
    """Render the recap as a PDF (pure; no database).

    Args:
        recap: The computed recap.
        settings: The office (header) and the signature block (``settings.reports``).

    Returns:
        The PDF file.
    """
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=REPORT_TITLE,
        author="Satpol PP Kabupaten Balangan",
    )
    styles = getSampleStyleSheet()
    center = ParagraphStyle("center", parent=styles["Normal"], alignment=1, fontSize=10)
    head = ParagraphStyle("head", parent=center, fontName="Helvetica-Bold", fontSize=13)
    title = ParagraphStyle("title", parent=center, fontName="Helvetica-Bold", fontSize=12)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontSize=11, spaceBefore=8)
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=8, leading=10)
    counts = recap.counts
    recap_filter = recap.recap_filter
    address = settings.office.address + (
        f" - Telp. {settings.office.phone}" if settings.office.phone else ""
    )
    scope = [
        f"Kategori: {category_label(recap_filter.category)}" if recap_filter.category else "",
        f"Kecamatan: {recap_filter.kecamatan}" if recap_filter.kecamatan else "",
        f"Desa: {recap_filter.desa}" if recap_filter.desa else "",
    ]
    scope_text = "; ".join(part for part in scope if part) or "Semua kategori dan wilayah"
    story: list[object] = [
        Paragraph(AGENCY_PARENT, center),
        Paragraph(f"{AGENCY_NAME} KABUPATEN BALANGAN", head),
        Paragraph(escape(address), center),
        Spacer(1, 0.15 * cm),
        Table(
            [[""]], colWidths=[17.4 * cm], style=[("LINEABOVE", (0, 0), (-1, 0), 1.5, colors.black)]
        ),
        Paragraph(REPORT_TITLE, title),
        Paragraph(f"Periode: {escape(recap_filter.period.label)}", center),
        Paragraph(escape(scope_text), center),
        Paragraph(
            f"Keadaan data per {_date(recap.generated_at, recap)} "
            f"{recap.generated_at.astimezone(recap_filter.period.tz):%H.%M}",
            center,
        ),
        Spacer(1, 0.3 * cm),
        Paragraph("A. Ringkasan", h2),
    ]
    summary = [
        ["Uraian", "Jumlah"],
        ["Aduan diterima", str(counts.received)],
        ["Dalam proses", str(counts.in_progress)],
        ["Selesai ditindaklanjuti", str(counts.resolved)],
        ["Tidak dapat ditindaklanjuti", str(counts.refused)],
        *[[f"   - {REASON_CODES[code]}", str(value)] for code, value in counts.refused_by_reason],
        ["Dialihkan ke instansi lain", str(counts.forwarded)],
        ["Duplikat", str(counts.duplicates)],
        ["Pernah dibuka kembali", str(counts.reopened)],
        ["Lewat tenggat (masih terbuka)", str(counts.overdue)],
        ["Ditutup melewati tenggat", str(counts.closed_late)],
        [
            "Diterima di luar jam kerja",
            f"{counts.out_of_hours} ({_percent(counts.out_of_hours_share)})",
        ],
        ["Rasio penyelesaian", _percent(counts.resolution_ratio)],
        ["Target rasio penyelesaian", f"minimal {RESOLUTION_TARGET * 100:.0f} %"],
        ["Rasio selesai ditindaklanjuti", _percent(counts.strict_ratio)],
    ]
    story.append(_table(summary, [12 * cm, 5.4 * cm]))
    story.append(
        Paragraph(
            "Rasio penyelesaian = aduan tuntas (selesai, tidak dapat ditindaklanjuti dengan "
            "alasan, dialihkan) dibagi (aduan diterima dikurangi duplikat). Aduan yang dibuka "
            "kembali dihitung menurut keadaannya saat laporan dibuat. Rasio selesai "
            "ditindaklanjuti = aduan selesai dibagi (diterima dikurangi duplikat).",
            small,
        )
    )
    story.append(Spacer(1, 0.3 * cm))
    charts = Table([[_status_pie(recap), _category_bars(recap)]], colWidths=[8.2 * cm, 9.2 * cm])
    story.append(KeepTogether([Paragraph("B. Grafik", h2), charts, _area_bars(recap)]))
    durations = [["Waktu sejak aduan diterima", "Jumlah aduan", "Median", "Persentil 90"]]
    for stat in recap.durations:
        durations.append(
            [
                stat.label,
                str(stat.count),
                format_duration(stat.median_seconds),
                format_duration(stat.p90_seconds),
            ]
        )
    story.append(Paragraph("C. Waktu penanganan", h2))
    story.append(_table(durations, [7 * cm, 2.6 * cm, 3.9 * cm, 3.9 * cm]))
    story.append(Paragraph("D. Rekap per kategori", h2))
    story.append(_breakdown_table(recap.by_category, "Kategori"))
    area_title = "Desa" if recap.area_level == "desa" else "Kecamatan"
    story.append(Paragraph(f"E. Rekap per {area_title.lower()}", h2))
    story.append(_breakdown_table(recap.by_area, area_title))
    signer_name = settings.reports.signer_name or "(" + "." * 40 + ")"
    signer_nip = settings.reports.signer_nip or "." * 30
    signature = Table(
        [
            ["", f"{settings.reports.place}, {_date(recap.generated_at, recap)}"],
            ["", Paragraph(escape(settings.reports.signer_title), center)],
            ["", ""],
            ["", ""],
            ["", ""],
            ["", signer_name],
            ["", f"NIP. {signer_nip}"],
        ],
        colWidths=[8.4 * cm, 9 * cm],
        style=[
            ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
            ("FONT", (1, 5), (1, 5), "Helvetica-Bold", 9.5),
            ("ALIGN", (1, 0), (1, -1), "CENTER"),
        ],
    )
    story.append(Spacer(1, 0.8 * cm))
    story.append(KeepTogether([signature]))
    document.build(story)
    return buffer.getvalue()
