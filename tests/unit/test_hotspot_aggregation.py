"""Hotspot aggregation: areas, hour-of-day filter, legend classes, clusters, coarsening."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from lalisa.core.db import session_scope
from lalisa.places import hotspots
from lalisa.places.hotspots import (
    COARSE_CELL_DEGREES,
    HotspotFilter,
    TicketPoint,
    area_of,
    cell_degrees_for_zoom,
    class_breaks,
    class_of,
    coarsen,
    count_by_area,
    grid_clusters,
    hour_in_range,
    load_points,
    rank_areas,
)
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.service import ComplaintDraft, submit_complaint

WITA = ZoneInfo("Asia/Makassar")
T0 = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)  # 10.00 WITA


def point(
    number: str = "LLS-2026-000001",
    *,
    kecamatan: str | None = "Paringin",
    desa: str | None = "Paringin Kota",
    latitude: float | None = -2.324289,
    longitude: float | None = 115.460773,
    at: datetime = T0,
) -> TicketPoint:
    return TicketPoint(
        number=number,
        category="pkl",
        status="baru",
        kecamatan=kecamatan,
        desa=desa,
        latitude=latitude,
        longitude=longitude,
        created_at=at,
        occurred_at=at,
    )


# ------------------------------------------------------------------------------ areas


def test_the_boundary_files_give_8_kecamatan_and_157_desa() -> None:
    assert len(hotspots.areas("kecamatan")) == 8
    assert len(hotspots.areas("desa")) == 157
    document = json.loads(hotspots.boundary_geojson("kecamatan"))
    assert {f["properties"]["nama"] for f in document["features"]} >= {"Juai", "Paringin"}
    first = document["features"][0]["geometry"]["coordinates"][0][0][0]
    # Rounded to 5 decimals to keep the payload small.
    assert all(len(str(value).split(".")[1]) <= 5 for value in first)


def test_a_ticket_is_placed_by_its_kecamatan_and_desa_names() -> None:
    ticket = point(kecamatan="paringin selatan", desa="GALUMBANG")
    kecamatan = area_of(ticket, "kecamatan")
    desa = area_of(ticket, "desa")
    assert kecamatan is not None and kecamatan.kode == "63.11.07"
    # Galumbang exists in Juai and in Paringin Selatan; the kecamatan decides.
    assert desa is not None and desa.kode == "63.11.07.2006"
    juai = area_of(point(kecamatan="Juai", desa="Galumbang"), "desa")
    assert juai is not None and juai.kode == "63.11.01.2006"
    assert area_of(point(kecamatan="Paringin", desa=None), "desa") is None
    assert area_of(point(kecamatan="Banjarmasin", desa=None), "kecamatan") is None


def test_counts_per_kecamatan_and_desa_include_zeros_and_unplaced() -> None:
    points = [
        point("A", kecamatan="Paringin", desa="Paringin Kota"),
        point("B", kecamatan="Paringin", desa="Paringin Kota"),
        point("C", kecamatan="Paringin", desa=None),
        point("D", kecamatan="Juai", desa="Galumbang"),
        point("E", kecamatan=None, desa=None, latitude=None, longitude=None),
    ]
    per_kecamatan = count_by_area(points, "kecamatan")
    assert per_kecamatan.counts["63.11.06"] == 3
    assert per_kecamatan.counts["63.11.01"] == 1
    assert per_kecamatan.counts["63.11.08"] == 0
    assert len(per_kecamatan.counts) == 8
    assert (per_kecamatan.total, per_kecamatan.unplaced) == (4, 1)

    per_desa = count_by_area(points, "desa")
    assert per_desa.counts["63.11.06.1023"] == 2
    assert per_desa.counts["63.11.01.2006"] == 1
    assert per_desa.counts["63.11.07.2006"] == 0
    assert (per_desa.total, per_desa.unplaced) == (3, 2)
    assert [p.number for p in hotspots.points_in_area(points, "desa", "63.11.06.1023")] == [
        "A",
        "B",
    ]


def test_ranking_orders_by_count_and_compares_with_the_previous_period() -> None:
    current = count_by_area(
        [point("A"), point("B"), point("C", kecamatan="Juai", desa="Galumbang")], "kecamatan"
    )
    previous = count_by_area([point("X", kecamatan="Juai", desa=None)] * 3, "kecamatan")
    rows = rank_areas(current, previous)
    assert [(r.area.nama, r.count, r.previous, r.change) for r in rows] == [
        ("Paringin", 2, 0, 2),
        ("Juai", 1, 3, -2),
    ]
    assert rows[0].share == pytest.approx(2 / 3)
    assert rank_areas(current, None, top=1)[0].previous is None
    assert len(rank_areas(current, None, top=1)) == 1


# ------------------------------------------------------------------------ hour of day


@pytest.mark.parametrize(
    ("hour", "expected"),
    [(17, False), (18, True), (23, True), (0, True), (5, True), (6, False), (12, False)],
)
def test_night_range_wraps_midnight(hour: int, expected: bool) -> None:
    assert hour_in_range(hour, 18, 6) is expected


@pytest.mark.parametrize(
    ("hour", "expected"), [(5, False), (6, True), (17, True), (18, False), (0, False)]
)
def test_day_range_does_not_wrap(hour: int, expected: bool) -> None:
    assert hour_in_range(hour, 6, 18) is expected


def test_no_range_or_equal_ends_keep_every_hour() -> None:
    assert all(hour_in_range(hour, None, None) for hour in range(24))
    assert all(hour_in_range(hour, 7, 7) for hour in range(24))


def test_filter_rejects_half_ranges_hours_out_of_range_and_naive_bounds() -> None:
    with pytest.raises(ValueError, match="both ends"):
        HotspotFilter(hour_from=18)
    with pytest.raises(ValueError, match="outside"):
        HotspotFilter(hour_from=18, hour_to=24)
    with pytest.raises(ValueError, match="aware"):
        HotspotFilter(start=datetime(2026, 1, 1))


# ------------------------------------------------------------------------ legend classes


def test_class_breaks_keep_zero_apart_and_end_at_the_maximum() -> None:
    assert class_breaks([0, 0, 0]) == [0]
    assert class_breaks([]) == [0]
    assert class_breaks([0, 4, 4, 4]) == [0, 4]
    breaks = class_breaks([0, 0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55])
    assert breaks[0] == 0
    assert breaks[-1] == 55
    assert breaks == sorted(set(breaks))
    assert len(breaks) <= 6
    assert class_of(0, breaks) == 0
    assert class_of(1, breaks) == 1
    assert class_of(55, breaks) == len(breaks) - 1


# ------------------------------------------------------------------- clusters, coarsening


def test_coarsening_snaps_to_the_centre_of_a_one_km_cell() -> None:
    lat, lon = coarsen(-2.324289, 115.460773)
    assert (lat, lon) == (-2.325, 115.465)
    assert coarsen(-2.3201, 115.4699) == (lat, lon)
    assert abs(lat - -2.324289) <= COARSE_CELL_DEGREES / 2
    assert abs(lon - 115.460773) <= COARSE_CELL_DEGREES / 2


def test_cell_size_halves_with_each_zoom_level_and_is_clamped() -> None:
    assert cell_degrees_for_zoom(11) == pytest.approx(cell_degrees_for_zoom(10) / 2)
    assert cell_degrees_for_zoom(30) == cell_degrees_for_zoom(18)
    assert cell_degrees_for_zoom(0) == cell_degrees_for_zoom(5)


def test_grid_clusters_group_nearby_points_and_skip_points_without_pin() -> None:
    near = [
        point("A", latitude=-2.3001, longitude=115.4001),
        point("B", latitude=-2.3003, longitude=115.4004),
        point("C", latitude=-2.3005, longitude=115.4002),
    ]
    far = point("D", latitude=-2.45, longitude=115.67)
    none = point("E", latitude=None, longitude=None)
    clusters = grid_clusters([*near, far, none], 0.01, coarse=False, with_numbers=True)
    assert [(c.count, c.numbers) for c in clusters] == [(3, ("A", "B", "C")), (1, ("D",))]
    assert clusters[0].latitude == pytest.approx(-2.3003)
    assert (clusters[1].latitude, clusters[1].longitude) == (-2.45, 115.67)
    # A fine grid separates them again.
    assert len(grid_clusters(near, 0.0001, coarse=False)) == 3


def test_coarse_clusters_contain_no_exact_coordinate() -> None:
    exact = [
        point("A", latitude=-2.331234, longitude=115.471234),
        point("B", latitude=-2.458765, longitude=115.668765),
    ]
    for cell in (cell_degrees_for_zoom(18), cell_degrees_for_zoom(8)):
        clusters = grid_clusters(exact, cell, coarse=True)
        assert sum(c.count for c in clusters) == 2
        for cluster in clusters:
            assert cluster.numbers == ()
            for original in exact:
                assert (cluster.latitude, cluster.longitude) != (
                    original.latitude,
                    original.longitude,
                )
    fine = grid_clusters(exact, cell_degrees_for_zoom(18), coarse=True)
    assert {(c.latitude, c.longitude) for c in fine} == {(-2.335, 115.475), (-2.455, 115.665)}


# ----------------------------------------------------------------------- loading (DB)


async def _ticket(
    *,
    category: str = "pkl",
    kecamatan: str | None = "Paringin",
    desa: str | None = "Paringin Kota",
    created: datetime = T0,
    incident: datetime | None = None,
) -> str:
    async with session_scope() as session:
        ticket = await submit_complaint(
            session,
            ComplaintDraft(
                category=category,
                description="uji peta rawan",
                latitude=-2.3242,
                longitude=115.4607,
                kecamatan=kecamatan,
                desa=desa,
                incident_at=incident,
                reporter_sender_id="6281200000001",
                reporter_channel="whatsapp",
                submission_key=f"hotspot-{uuid.uuid4().hex}",
            ),
            now=created,
        )
        return ticket.number


async def _numbers(filters: HotspotFilter) -> set[str]:
    async with session_scope() as session:
        return {p.number for p in await load_points(session, filters, WITA)}


async def test_load_points_filters_period_category_status_and_hour(db: str) -> None:
    morning = await _ticket(created=datetime(2026, 11, 10, 10, 0, tzinfo=WITA))
    night = await _ticket(created=datetime(2026, 11, 10, 22, 30, tzinfo=WITA), category="miras")
    # Received in the morning, but the citizen said it happened at 01.00: the incident counts.
    reported_late = await _ticket(
        created=datetime(2026, 11, 11, 9, 0, tzinfo=WITA),
        incident=datetime(2026, 11, 11, 1, 0, tzinfo=WITA),
        kecamatan="Juai",
        desa="Galumbang",
    )
    old = await _ticket(created=datetime(2026, 9, 1, 23, 0, tzinfo=WITA))
    async with session_scope() as session:
        await session.execute(
            update(Ticket).where(Ticket.number == night).values(status=TicketStatus.SELESAI)
        )

    assert await _numbers(HotspotFilter()) == {morning, night, reported_late, old}
    november = HotspotFilter(
        start=datetime(2026, 11, 1, tzinfo=WITA), end=datetime(2026, 12, 1, tzinfo=WITA)
    )
    assert await _numbers(november) == {morning, night, reported_late}
    assert await _numbers(HotspotFilter(hour_from=18, hour_to=6)) == {night, reported_late, old}
    assert await _numbers(HotspotFilter(hour_from=6, hour_to=18)) == {morning}
    assert await _numbers(HotspotFilter(categories=frozenset({"miras"}))) == {night}
    assert await _numbers(HotspotFilter(statuses=frozenset({TicketStatus.BARU}))) == {
        morning,
        reported_late,
        old,
    }

    async with session_scope() as session:
        points = await load_points(session, november, WITA)
    per_desa = count_by_area(points, "desa")
    assert per_desa.counts["63.11.06.1023"] == 2
    assert per_desa.counts["63.11.01.2006"] == 1
    assert [p.occurred_at for p in points if p.number == reported_late] == [
        datetime(2026, 11, 10, 17, 0, tzinfo=timezone.utc)
    ]
    assert all(p.created_at.tzinfo is not None for p in points)
    assert [p.number for p in points] == [morning, night, reported_late]


def test_bounds_limit_clusters_to_the_view() -> None:
    bounds = hotspots.Bounds.parse("115.40,-2.35,115.50,-2.30")
    assert bounds == hotspots.Bounds(south=-2.35, west=115.40, north=-2.30, east=115.50)
    for bad in ("", "1,2,3", "a,b,c,d", "115.5,-2.3,115.4,-2.35", "nan,1,2,3", "1,2,3,4,5"):
        assert hotspots.Bounds.parse(bad) is None, bad
    inside = point("A", latitude=-2.3242, longitude=115.4607)
    outside = point("B", latitude=-2.45, longitude=115.67)
    kept = grid_clusters([inside, outside], 0.01, coarse=False, bounds=bounds, with_numbers=True)
    assert [c.numbers for c in kept] == [("A",)]
