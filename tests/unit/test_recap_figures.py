"""The recap's figures against hand computations on the seeded month (SQLite and PostgreSQL).

See :mod:`tests.backoffice.recap_dataset` for the timeline every expectation below is worked
out from.
"""

from __future__ import annotations

from datetime import date

import pytest

from lalisa.core.db import session_scope
from lalisa.reports.recap import (
    MEASURES,
    PeriodError,
    RecapFilter,
    compute_recap,
    custom_period,
    drill_down,
    format_duration,
    median,
    month_period,
    nearest_rank,
    quarter_period,
    year_period,
)
from tests.backoffice.recap_dataset import NOW, Seeded, seed_recap_dataset

HOUR = 3600.0
SEPTEMBER = set("ABCDEFGHIJKLO")


@pytest.fixture
async def seeded(db: str) -> Seeded:
    return await seed_recap_dataset()


async def _recap(recap_filter: RecapFilter):  # type: ignore[no-untyped-def]
    async with session_scope() as session:
        return await compute_recap(session, recap_filter, now=NOW)


async def test_counts_and_ratios(seeded: Seeded) -> None:
    recap = await _recap(RecapFilter(month_period(2026, 9)))
    counts = recap.counts
    assert seeded.letters([item.number for item in recap.facts]) == SEPTEMBER
    assert counts.received == 13
    assert counts.in_progress == 4  # H, I, J, L
    assert counts.resolved == 3  # A, B, G (G reopened and closed again counts once)
    assert counts.refused == 3  # C, D, K
    assert dict(counts.refused_by_reason) == {
        "bukan_kewenangan": 1,
        "bukti_tidak_cukup": 1,
        "pelanggaran_tidak_ditemukan": 1,
    }
    assert counts.forwarded == 2  # E, O
    assert counts.duplicates == 1  # F
    assert counts.reopened == 2  # G, L
    assert counts.overdue == 4  # H, I, J, L: open and past a legal deadline
    assert counts.closed_late == 1  # K: refused after 6 days, deadline 5 days
    assert counts.out_of_hours == 3  # G, H, O
    assert dict(counts.channels) == {"whatsapp": 12, "sandbox": 1}
    # tuntas 8 (A B G C D K E O) / (13 - 1)
    assert counts.completed == 8
    assert counts.resolution_ratio == pytest.approx(8 / 12)
    assert counts.strict_ratio == pytest.approx(3 / 12)
    assert counts.meets_target is False
    assert counts.out_of_hours_share == pytest.approx(3 / 13)
    assert counts.channel_share("sandbox") == pytest.approx(1 / 13)


async def test_median_and_p90_durations(seeded: Seeded) -> None:
    recap = await _recap(RecapFilter(month_period(2026, 9)))
    stats = {stat.key: stat for stat in recap.durations}
    # first response (h): A .5, B 1, C 2, D 1, E 4, F 1, G 11, I 2, J 1, K 1, L 1, O 1
    first = stats["first_response"]
    assert first.count == 12
    assert first.median_seconds == pytest.approx(1 * HOUR)
    assert first.p90_seconds == pytest.approx(4 * HOUR)  # rank ceil(10.8) = 11 of 12
    # first dispatch (h): A 1, B 2, D 3, G 12 (not the second dispatch at 37), J 2
    dispatch = stats["dispatch"]
    assert dispatch.count == 5
    assert dispatch.median_seconds == pytest.approx(2 * HOUR)
    assert dispatch.p90_seconds == pytest.approx(12 * HOUR)
    # first arrival (h): A 2, B 4, D 5, G 13
    arrival = stats["arrival"]
    assert arrival.count == 4
    assert arrival.median_seconds == pytest.approx(4.5 * HOUR)
    assert arrival.p90_seconds == pytest.approx(13 * HOUR)
    # final closing (h), duplicate F left out: C 2, O 2, A 3, E 4, B 6, D 8, G 40, K 144
    closure = stats["closure"]
    assert closure.count == 8
    assert closure.median_seconds == pytest.approx(5 * HOUR)
    assert closure.p90_seconds == pytest.approx(144 * HOUR)


async def test_breakdowns_per_category_and_area(seeded: Seeded) -> None:
    recap = await _recap(RecapFilter(month_period(2026, 9)))
    by_category = {row.key: row.counts for row in recap.by_category}
    assert {key: counts.received for key, counts in by_category.items()} == {
        "pkl": 5,
        "miras": 3,
        "kebisingan": 3,
        "reklame_liar": 1,
        "sampah": 1,
    }
    assert by_category["pkl"].resolution_ratio == pytest.approx(2 / 4)
    assert by_category["miras"].resolution_ratio == pytest.approx(1.0)
    assert by_category["kebisingan"].resolution_ratio == pytest.approx(2 / 3)
    assert by_category["sampah"].resolution_ratio == pytest.approx(0.0)
    assert recap.area_level == "kecamatan"
    by_area = {row.key: row.counts.received for row in recap.by_area}
    assert by_area == {"Paringin": 6, "Juai": 3, "Lampihong": 2, "Halong": 1, "": 1}

    paringin = await _recap(RecapFilter(month_period(2026, 9), kecamatan="Paringin"))
    assert paringin.area_level == "desa"
    assert {row.key: row.counts.received for row in paringin.by_area} == {
        "Paringin Kota": 4,
        "Balang": 2,
    }
    balang = await _recap(RecapFilter(month_period(2026, 9), kecamatan="Paringin", desa="Balang"))
    assert seeded.letters([item.number for item in balang.facts]) == {"E", "L"}
    pkl_paringin = await _recap(
        RecapFilter(month_period(2026, 9), category="pkl", kecamatan="Paringin")
    )
    assert seeded.letters([item.number for item in pkl_paringin.facts]) == {"A", "B", "F", "J", "L"}


async def test_period_edges_follow_the_local_day(seeded: Seeded) -> None:
    # O arrived 1 Sep 00:30 WITA (31 Aug UTC): in September; M (31 Aug 23:30) and N
    # (1 Oct 00:30 WITA, 30 Sep UTC) are not.
    september = await _recap(RecapFilter(month_period(2026, 9)))
    assert "O" in seeded.letters([item.number for item in september.facts])
    august = await _recap(RecapFilter(month_period(2026, 8)))
    assert seeded.letters([item.number for item in august.facts]) == {"M"}
    october = await _recap(RecapFilter(month_period(2026, 10)))
    assert seeded.letters([item.number for item in october.facts]) == {"N"}
    quarter = await _recap(RecapFilter(quarter_period(2026, 3)))
    assert seeded.letters([item.number for item in quarter.facts]) == SEPTEMBER | {"M"}
    year = await _recap(RecapFilter(year_period(2026)))
    assert year.counts.received == 15
    first_days = await _recap(RecapFilter(custom_period(date(2026, 9, 1), date(2026, 9, 3))))
    assert seeded.letters([item.number for item in first_days.facts]) == {"O", "A", "B", "C"}


EXPECTED_SETS = {
    "diterima": SEPTEMBER,
    "proses": {"H", "I", "J", "L"},
    "tuntas": {"A", "B", "G", "C", "D", "K", "E", "O"},
    "selesai": {"A", "B", "G"},
    "ditolak": {"C", "D", "K"},
    "dialihkan": {"E", "O"},
    "duplikat": {"F"},
    "dibuka_kembali": {"G", "L"},
    "terlambat": {"H", "I", "J", "L"},
    "tutup_terlambat": {"K"},
    "luar_jam": {"G", "H", "O"},
    "ditolak:bukan_kewenangan": {"C"},
    "ditolak:pelanggaran_tidak_ditemukan": {"D"},
    "ditolak:bukti_tidak_cukup": {"K"},
    "kanal:sandbox": {"O"},
    "kanal:whatsapp": SEPTEMBER - {"O"},
    "tahap:first_response": SEPTEMBER - {"H"},
    "tahap:dispatch": {"A", "B", "D", "G", "J"},
    "tahap:arrival": {"A", "B", "D", "G"},
    "tahap:closure": {"A", "B", "C", "D", "E", "G", "K", "O"},
}


async def test_drill_down_lists_exactly_the_counted_tickets(seeded: Seeded) -> None:
    assert set(MEASURES) <= set(EXPECTED_SETS)
    recap_filter = RecapFilter(month_period(2026, 9))
    recap = await _recap(recap_filter)
    counts = recap.counts
    figure = {
        "diterima": counts.received,
        "proses": counts.in_progress,
        "tuntas": counts.completed,
        "selesai": counts.resolved,
        "ditolak": counts.refused,
        "dialihkan": counts.forwarded,
        "duplikat": counts.duplicates,
        "dibuka_kembali": counts.reopened,
        "terlambat": counts.overdue,
        "tutup_terlambat": counts.closed_late,
        "luar_jam": counts.out_of_hours,
        **{f"ditolak:{code}": value for code, value in counts.refused_by_reason},
        **{f"kanal:{channel}": value for channel, value in counts.channels},
        **{f"tahap:{stat.key}": stat.count for stat in recap.durations},
    }
    async with session_scope() as session:
        for measure, expected in EXPECTED_SETS.items():
            tickets = await drill_down(session, recap_filter, measure, now=NOW)
            assert seeded.letters([item.number for item in tickets]) == expected, measure
            assert len(tickets) == figure[measure], measure
        no_area = await drill_down(session, recap_filter, "diterima", now=NOW, area="")
        assert seeded.letters([item.number for item in no_area]) == {"I"}
        with pytest.raises(PeriodError):
            await drill_down(session, recap_filter, "semua_rahasia", now=NOW)


def test_percentiles_and_median() -> None:
    assert median([]) is None
    assert nearest_rank([], 0.9) is None
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    values = [float(value) for value in range(1, 11)]  # 1..10
    assert nearest_rank(values, 0.9) == 9.0  # rank ceil(9.0) = 9
    assert nearest_rank([*values, 11.0], 0.9) == 10.0  # rank ceil(9.9) = 10
    assert nearest_rank([5.0], 0.9) == 5.0


def test_duration_format() -> None:
    assert format_duration(None) == "-"
    assert format_duration(45 * 60) == "45 menit"
    assert format_duration(3 * HOUR) == "3 jam"
    assert format_duration(3 * HOUR + 20 * 60) == "3 jam 20 menit"
    assert format_duration(2 * 24 * HOUR + 4 * HOUR) == "2 hari 4 jam"
    assert format_duration(6 * 24 * HOUR) == "6 hari"


def test_periods_and_their_labels(lalisa_env: dict[str, str]) -> None:
    assert month_period(2026, 2).label == "Februari 2026"
    assert month_period(2026, 2).last_day == date(2026, 2, 28)
    assert month_period(2026, 12).last_day == date(2026, 12, 31)
    assert quarter_period(2026, 4).label == "Triwulan IV 2026"
    assert quarter_period(2026, 4).first_day == date(2026, 10, 1)
    assert year_period(2026).label == "Tahun 2026"
    span = custom_period(date(2026, 9, 1), date(2026, 9, 3))
    assert span.label == "1 September 2026 s.d. 3 September 2026"
    assert span.end.isoformat() == "2026-09-04T00:00:00+08:00"
    with pytest.raises(PeriodError):
        month_period(2026, 13)
    with pytest.raises(PeriodError):
        quarter_period(2026, 5)
    with pytest.raises(PeriodError):
        custom_period(date(2026, 9, 3), date(2026, 9, 1))
