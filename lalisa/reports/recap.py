"""The leadership recap: figures of the complaints received in a period (issue 6).

Everything here is a plain async query or a pure function returning dataclasses; the back
office (``backoffice/reports``) renders them as a page, charts, an XLSX and a PDF.

Definitions (also written on the page and in docs/backoffice.md):

* The **cohort** is every ticket *received* (``created_at``) in the period, in the agency's
  time zone, optionally narrowed to a category, a kecamatan and a desa. Every figure counts
  tickets of that cohort by their state **at the time the recap is made** (``generated_at``),
  so a ticket reopened and closed again counts once, by its last closing.
* **Tuntas** (completed, SOP steps 11–12): the ticket got a final answer, i.e. it is
  *Selesai*, *Tidak dapat ditindaklanjuti* (with a reason) or *Dialihkan* to another agency.
* **Rasio penyelesaian** = tuntas ÷ (diterima - duplikat). Duplicates leave the denominator
  because the original ticket is counted. A reopened ticket that is open again is not tuntas.
  The indicator target is 91 % (:data:`RESOLUTION_TARGET`). The stricter
  **rasio selesai ditindaklanjuti** = selesai ÷ (diterima - duplikat) is shown beside it.
* **Durations** start at receipt: first response (``first_response_at``), first dispatch to
  the TRC (earliest ``didisposisikan`` transition event), first arrival on site
  (``on_site_at``) and final closing (``closed_at``, duplicates excluded). Median is the usual
  middle value (mean of the two middle values for an even count); p90 uses the nearest-rank
  method (the value at rank ⌈0.9·n⌉ of the sorted list).
* **Lewat tenggat** is the inbox's overdue rule (:func:`lalisa.tickets.sla.overdue_clause`): an
  open ticket past a legal SP4N-LAPOR! deadline. **Ditutup terlambat** counts closed tickets
  whose completion clock (:func:`lalisa.tickets.sla.compute_sla`) stopped after its deadline.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.settings import SlaSettings
from lalisa.reports.facts import RecapFilter, TicketFacts, load_facts
from lalisa.reports.periods import (
    PERIOD_KINDS,
    Period,
    PeriodError,
    custom_period,
    month_period,
    quarter_period,
    year_period,
)
from lalisa.tickets.categories import category_label
from lalisa.tickets.labels import OPEN_STATUSES, REASON_CODES
from lalisa.tickets.models import TicketStatus

__all__ = [
    "CHANNEL_LABELS",
    "DURATION_LABELS",
    "MEASURES",
    "PERIOD_KINDS",
    "RESOLUTION_TARGET",
    "BreakdownRow",
    "DurationStat",
    "Period",
    "PeriodError",
    "Recap",
    "RecapCounts",
    "RecapFilter",
    "TicketFacts",
    "compute_recap",
    "custom_period",
    "drill_down",
    "format_duration",
    "load_facts",
    "matches",
    "measure_label",
    "median",
    "month_period",
    "nearest_rank",
    "quarter_period",
    "summarise",
    "year_period",
]

RESOLUTION_TARGET: Final = 0.91
"""Indicator target of the resolution ratio (Indeks Inovasi Daerah, indicator 14)."""

CHANNEL_LABELS: Final[Mapping[str, str]] = {
    "whatsapp": "WhatsApp",
    "sandbox": "Simulator",
    "rest": "Uji/REST",
}
"""Labels of ``Reporter.channel`` values (unknown values are shown as they are)."""

DURATION_LABELS: Final[Mapping[str, str]] = {
    "first_response": "Respons pertama",
    "dispatch": "Disposisi ke TRC",
    "arrival": "TRC tiba di lokasi",
    "closure": "Penutupan aduan",
}
"""The measured intervals, each from receipt of the complaint."""

_SIMPLE_MEASURES: Final[Mapping[str, str]] = {
    "diterima": "Diterima",
    "proses": "Dalam proses (belum tuntas)",
    "tuntas": "Tuntas (selesai, ditolak dengan alasan, dialihkan)",
    "selesai": "Selesai ditindaklanjuti",
    "ditolak": "Tidak dapat ditindaklanjuti",
    "dialihkan": "Dialihkan ke instansi lain",
    "duplikat": "Duplikat",
    "dibuka_kembali": "Pernah dibuka kembali",
    "terlambat": "Lewat tenggat (masih terbuka)",
    "tutup_terlambat": "Ditutup melewati tenggat",
    "luar_jam": "Diterima di luar jam kerja",
}
MEASURES: Final[Mapping[str, str]] = _SIMPLE_MEASURES
"""Drill-down measures (``ditolak:<reason>``, ``kanal:<channel>`` and ``tahap:<duration key>``
are accepted too; the last lists the tickets a duration of :data:`DURATION_LABELS` counts)."""

_COMPLETED = frozenset(
    {TicketStatus.SELESAI, TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI, TicketStatus.DIALIHKAN}
)
_OPEN = frozenset(OPEN_STATUSES)


# --------------------------------------------------------------------------------- measures


def matches(facts: TicketFacts, measure: str) -> bool:
    """Whether a ticket belongs to the set counted by ``measure`` (the drill-down rule).

    Args:
        facts: The ticket.
        measure: A key of :data:`MEASURES`, ``ditolak:<reason code>`` or ``kanal:<channel>``.

    Returns:
        True when the figure of that measure counts this ticket.

    Raises:
        PeriodError: Unknown measure.
    """
    status = facts.status
    if measure.startswith("ditolak:"):
        return (
            status is TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI
            and (facts.reason_code or "lainnya") == measure.split(":", 1)[1]
        )
    if measure.startswith("kanal:"):
        return facts.channel == measure.split(":", 1)[1]
    if measure.startswith("tahap:"):
        key = measure.split(":", 1)[1]
        if key not in DURATION_LABELS:
            raise PeriodError("Ukuran rekap tidak dikenal.")
        return facts.seconds_to(key) is not None
    rules: dict[str, Callable[[], bool]] = {
        "diterima": lambda: True,
        "proses": lambda: status in _OPEN,
        "tuntas": lambda: status in _COMPLETED,
        "selesai": lambda: status is TicketStatus.SELESAI,
        "ditolak": lambda: status is TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI,
        "dialihkan": lambda: status is TicketStatus.DIALIHKAN,
        "duplikat": lambda: status is TicketStatus.DUPLIKAT,
        "dibuka_kembali": lambda: facts.reopened,
        "terlambat": lambda: facts.overdue,
        "tutup_terlambat": lambda: facts.closed_late,
        "luar_jam": lambda: facts.out_of_hours,
    }
    rule = rules.get(measure)
    if rule is None:
        raise PeriodError("Ukuran rekap tidak dikenal.")
    return rule()


def measure_label(measure: str) -> str:
    """Bahasa Indonesia label of a drill-down measure.

    Raises:
        PeriodError: Unknown measure.
    """
    if measure.startswith("ditolak:"):
        code = measure.split(":", 1)[1]
        if code not in REASON_CODES:
            raise PeriodError("Ukuran rekap tidak dikenal.")
        return f"Tidak dapat ditindaklanjuti: {REASON_CODES[code]}"
    if measure.startswith("kanal:"):
        channel = measure.split(":", 1)[1]
        return f"Kanal {CHANNEL_LABELS.get(channel, channel)}"
    if measure.startswith("tahap:"):
        key = measure.split(":", 1)[1]
        if key not in DURATION_LABELS:
            raise PeriodError("Ukuran rekap tidak dikenal.")
        return f"Sudah sampai tahap: {DURATION_LABELS[key]}"
    if measure not in MEASURES:
        raise PeriodError("Ukuran rekap tidak dikenal.")
    return MEASURES[measure]


# ----------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class RecapCounts:
    """Counts of one cohort (or one breakdown row)."""

    received: int
    in_progress: int
    resolved: int
    refused: int
    refused_by_reason: tuple[tuple[str, int], ...]
    forwarded: int
    duplicates: int
    reopened: int
    overdue: int
    closed_late: int
    out_of_hours: int
    channels: tuple[tuple[str, int], ...]

    @property
    def completed(self) -> int:
        """Tuntas: selesai + tidak dapat ditindaklanjuti + dialihkan."""
        return self.resolved + self.refused + self.forwarded

    @property
    def ratio_base(self) -> int:
        """Denominator of the ratios: received minus duplicates."""
        return self.received - self.duplicates

    @property
    def resolution_ratio(self) -> float | None:
        """Tuntas ÷ (diterima - duplikat), or ``None`` without tickets."""
        return self.completed / self.ratio_base if self.ratio_base else None

    @property
    def strict_ratio(self) -> float | None:
        """Selesai ÷ (diterima - duplikat), or ``None`` without tickets."""
        return self.resolved / self.ratio_base if self.ratio_base else None

    @property
    def meets_target(self) -> bool | None:
        """Whether :attr:`resolution_ratio` reaches :data:`RESOLUTION_TARGET`."""
        ratio = self.resolution_ratio
        return None if ratio is None else ratio >= RESOLUTION_TARGET

    @property
    def out_of_hours_share(self) -> float | None:
        """Share of tickets received out of office hours."""
        return self.out_of_hours / self.received if self.received else None

    def channel_share(self, channel: str) -> float | None:
        """Share of tickets received through ``channel``."""
        count = dict(self.channels).get(channel, 0)
        return count / self.received if self.received else None


def summarise(facts: Iterable[TicketFacts]) -> RecapCounts:
    """Count a set of tickets (pure).

    Args:
        facts: The tickets.

    Returns:
        The counts.
    """
    items = list(facts)
    statuses = Counter(item.status for item in items)
    reasons = Counter(
        item.reason_code or "lainnya"
        for item in items
        if item.status is TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI
    )
    channels = Counter(item.channel for item in items)
    return RecapCounts(
        received=len(items),
        in_progress=sum(statuses[status] for status in _OPEN),
        resolved=statuses[TicketStatus.SELESAI],
        refused=statuses[TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI],
        refused_by_reason=tuple(
            (code, reasons[code]) for code in REASON_CODES if reasons.get(code)
        ),
        forwarded=statuses[TicketStatus.DIALIHKAN],
        duplicates=statuses[TicketStatus.DUPLIKAT],
        reopened=sum(1 for item in items if item.reopened),
        overdue=sum(1 for item in items if item.overdue),
        closed_late=sum(1 for item in items if item.closed_late),
        out_of_hours=sum(1 for item in items if item.out_of_hours),
        channels=tuple(sorted(channels.items(), key=lambda pair: (-pair[1], pair[0]))),
    )


def median(values: Sequence[float]) -> float | None:
    """Median (mean of the two middle values for an even count); ``None`` when empty."""
    return statistics.median(values) if values else None


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """Percentile by the nearest-rank method: the value at rank ⌈p·n⌉ of the sorted list.

    Args:
        values: The sample.
        percent: Between 0 and 1 (exclusive of 0).

    Returns:
        The percentile, or ``None`` for an empty sample.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class DurationStat:
    """Median and p90 of one interval, in seconds, over the tickets that reached it."""

    key: str
    label: str
    count: int
    median_seconds: float | None
    p90_seconds: float | None


def durations(facts: Sequence[TicketFacts]) -> tuple[DurationStat, ...]:
    """Median and p90 of every interval of :data:`DURATION_LABELS` (pure)."""
    stats = []
    for key, label in DURATION_LABELS.items():
        values = [value for item in facts if (value := item.seconds_to(key)) is not None]
        stats.append(
            DurationStat(key, label, len(values), median(values), nearest_rank(values, 0.9))
        )
    return tuple(stats)


def format_duration(seconds: float | None) -> str:
    """Bahasa Indonesia duration: ``45 menit``, ``3 jam 20 menit``, ``2 hari 4 jam``."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} menit"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} jam {minutes} menit" if minutes else f"{hours} jam"
    days, hours = divmod(hours, 24)
    return f"{days} hari {hours} jam" if hours else f"{days} hari"


@dataclass(frozen=True)
class BreakdownRow:
    """One row of a breakdown table (a category, kecamatan or desa)."""

    key: str
    label: str
    counts: RecapCounts


@dataclass(frozen=True)
class Recap:
    """The whole recap of one filter.

    Attributes:
        area_level: ``kecamatan`` (breakdown per kecamatan) or ``desa`` (a kecamatan is
            chosen, so the breakdown goes one level down).
    """

    recap_filter: RecapFilter
    generated_at: datetime
    counts: RecapCounts
    durations: tuple[DurationStat, ...]
    by_category: tuple[BreakdownRow, ...]
    by_area: tuple[BreakdownRow, ...]
    area_level: str
    facts: tuple[TicketFacts, ...] = field(repr=False)


NO_AREA: Final = "(tanpa wilayah)"
"""Label of tickets without a kecamatan/desa (location outside the polygons or unknown)."""


def _breakdown(
    facts: Sequence[TicketFacts], key: Callable[[TicketFacts], str], label: Callable[[str], str]
) -> tuple[BreakdownRow, ...]:
    groups: dict[str, list[TicketFacts]] = {}
    for item in facts:
        groups.setdefault(key(item), []).append(item)
    rows = [BreakdownRow(name, label(name), summarise(items)) for name, items in groups.items()]
    rows.sort(key=lambda row: (-row.counts.received, row.label))
    return tuple(rows)


async def compute_recap(
    session: AsyncSession,
    recap_filter: RecapFilter,
    *,
    now: datetime | None = None,
    sla: SlaSettings | None = None,
) -> Recap:
    """Compute every figure of the recap page for a filter.

    Args:
        session: A session (read only).
        recap_filter: The cohort.
        now: The moment the state is taken at; defaults to now.
        sla: Deadlines; defaults to the configured ones.

    Returns:
        The recap.
    """
    now = now or datetime.now(timezone.utc)
    facts = await load_facts(session, recap_filter, now=now, sla=sla)
    area_level = "desa" if recap_filter.kecamatan else "kecamatan"

    def area_of(item: TicketFacts) -> str:
        value = item.desa if area_level == "desa" else item.kecamatan
        return value or ""

    return Recap(
        recap_filter=recap_filter,
        generated_at=now,
        counts=summarise(facts),
        durations=durations(facts),
        by_category=_breakdown(facts, lambda item: item.category, category_label),
        by_area=_breakdown(facts, area_of, lambda name: name or NO_AREA),
        area_level=area_level,
        facts=tuple(facts),
    )


async def drill_down(
    session: AsyncSession,
    recap_filter: RecapFilter,
    measure: str,
    *,
    now: datetime | None = None,
    sla: SlaSettings | None = None,
    area: str | None = None,
) -> list[TicketFacts]:
    """The tickets behind one figure: the cohort filtered by :func:`matches`.

    Args:
        session: A session (read only).
        recap_filter: The cohort.
        measure: The figure (see :func:`matches`).
        now: The moment the state is taken at.
        sla: Deadlines.
        area: ``""`` selects tickets without a kecamatan (the "tanpa wilayah" row).

    Returns:
        The tickets, oldest first.
    """
    measure_label(measure)  # unknown measures fail before any query
    facts = await load_facts(session, recap_filter, now=now, sla=sla)
    if area == "":
        level = "desa" if recap_filter.kecamatan else "kecamatan"
        facts = [item for item in facts if not (item.desa if level == "desa" else item.kecamatan)]
    return [item for item in facts if matches(item, measure)]
