"""Hotspot map figures: complaints per kecamatan/desa, grid clusters, coarsened points.

The functions here are plain: :func:`load_points` reads the tickets that match a
:class:`HotspotFilter` (period, category and status in SQL; the hour of day in Python, in the
agency's time zone, so daylight-saving zones and both database backends behave alike), and
everything else works on the resulting :class:`TicketPoint` list. The back office
(``backoffice/hotspots``) turns the results into GeoJSON/JSON.

Which hour counts: the incident time when the citizen gave one (``incident_at``), otherwise the
time the complaint was received (``created_at``). The period filter uses ``created_at`` like the
inbox, so the map and the ticket list agree on what "this month" holds.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.places.geo import GEO_DIR
from lalisa.tickets.models import Ticket, TicketStatus

Level = Literal["kecamatan", "desa"]
LEVELS: tuple[Level, ...] = ("kecamatan", "desa")

COARSE_CELL_DEGREES = 0.01
"""Grid of coarsened points: 0.01° is about 1.1 km at Balangan's latitude (2.3° S)."""
MIN_ZOOM = 5
MAX_ZOOM = 18
CLUSTER_CELL_PIXELS = 64
"""Cluster cell edge on screen; with 256-pixel tiles a cell is a quarter tile."""
GEOMETRY_DECIMALS = 5
"""Boundary coordinates sent to the browser (about 1 m; the sources are not more precise)."""


@dataclass(frozen=True)
class HotspotFilter:
    """What to count.

    Attributes:
        start: First instant counted (aware, inclusive), or ``None`` for no lower bound.
        end: First instant no longer counted (aware, exclusive), or ``None``.
        categories: Category ids to keep; empty keeps all.
        statuses: Statuses to keep; empty keeps all.
        hour_from: First local hour of day kept (0–23), or ``None`` for every hour.
        hour_to: Local hour at which the range ends (exclusive, 0–23). A range whose end is
            not after its start wraps midnight: 18–6 keeps 18:00–05:59. Equal ends keep all.
    """

    start: datetime | None = None
    end: datetime | None = None
    categories: frozenset[str] = frozenset()
    statuses: frozenset[TicketStatus] = frozenset()
    hour_from: int | None = None
    hour_to: int | None = None

    def __post_init__(self) -> None:
        """Reject naive bounds and hours outside 0–23."""
        for bound in (self.start, self.end):
            if bound is not None and bound.tzinfo is None:
                raise ValueError("period bounds must be aware datetimes")
        for hour in (self.hour_from, self.hour_to):
            if hour is not None and not 0 <= hour <= 23:
                raise ValueError(f"hour {hour} outside 0-23")
        if (self.hour_from is None) != (self.hour_to is None):
            raise ValueError("give both ends of the hour range or neither")


@dataclass(frozen=True)
class TicketPoint:
    """One ticket as the map needs it (no reporter data, no description).

    Attributes:
        number: Ticket number.
        category: Category id.
        status: Status value.
        kecamatan: Kecamatan name, or ``None``.
        desa: Desa/kelurahan name, or ``None``.
        latitude: Pin latitude, or ``None`` when the citizen sent no pin.
        longitude: Pin longitude, or ``None``.
        created_at: When the complaint was received (aware UTC).
        occurred_at: Incident time if known, else ``created_at`` (aware UTC).
    """

    number: str
    category: str
    status: str
    kecamatan: str | None
    desa: str | None
    latitude: float | None
    longitude: float | None
    created_at: datetime
    occurred_at: datetime


@dataclass(frozen=True)
class Area:
    """A kecamatan or desa/kelurahan of the shipped boundary files.

    Attributes:
        level: ``"kecamatan"`` or ``"desa"``.
        kode: Kemendagri code (unique; desa names are not: Galumbang exists twice).
        nama: Official name.
        kecamatan: Name of the kecamatan (itself for a kecamatan).
    """

    level: Level
    kode: str
    nama: str
    kecamatan: str


@dataclass(frozen=True)
class AreaCounts:
    """Complaint counts per area of one level.

    Attributes:
        level: The level counted.
        counts: Count per area code (every area of the level, zeros included).
        unplaced: Tickets that match the filter but name no area of this level.
    """

    level: Level
    counts: dict[str, int]
    unplaced: int

    @property
    def total(self) -> int:
        """Tickets placed in an area of this level."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class Cluster:
    """Tickets that fall into one grid cell.

    Attributes:
        latitude: Mean latitude of the members (of their coarsened positions when coarsened).
        longitude: Mean longitude, as above.
        count: Number of tickets.
        numbers: Ticket numbers (only filled when the caller asks for them).
    """

    latitude: float
    longitude: float
    count: int
    numbers: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Bounds:
    """A latitude/longitude box (edges included).

    Attributes:
        south: Smallest latitude.
        west: Smallest longitude.
        north: Largest latitude.
        east: Largest longitude.
    """

    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: float, longitude: float) -> bool:
        """Tell whether a position lies in the box."""
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east

    @classmethod
    def parse(cls, text: str) -> Bounds | None:
        """Read ``west,south,east,north`` (Leaflet's ``toBBoxString``); ``None`` if unusable."""
        try:
            west, south, east, north = (float(part) for part in text.split(","))
        except ValueError:
            return None
        values = (west, south, east, north)
        if not all(math.isfinite(value) for value in values) or south > north or west > east:
            return None
        return cls(south=south, west=west, north=north, east=east)


@dataclass(frozen=True)
class RankRow:
    """One line of the ranking of vulnerable areas.

    Attributes:
        area: The area.
        count: Complaints in the chosen period.
        previous: Complaints in the period of equal length just before, or ``None``.
        share: ``count`` as a share of every placed complaint of the period (0–1).
    """

    area: Area
    count: int
    previous: int | None
    share: float

    @property
    def change(self) -> int | None:
        """Difference to the previous period (``None`` when there is none)."""
        return None if self.previous is None else self.count - self.previous


# ------------------------------------------------------------------------------- areas


@functools.lru_cache(maxsize=2)
def _boundary_features(level: Level) -> tuple[dict[str, Any], ...]:
    name = "balangan_kecamatan.geojson" if level == "kecamatan" else "balangan_desa.geojson"
    with (GEO_DIR / name).open(encoding="utf-8") as handle:
        features: list[dict[str, Any]] = json.load(handle)["features"]
    return tuple(sorted(features, key=lambda feature: str(feature["properties"]["kode"])))


@functools.lru_cache(maxsize=2)
def areas(level: Level) -> tuple[Area, ...]:
    """Return every area of a level, ordered by code.

    Args:
        level: ``"kecamatan"`` (8 areas) or ``"desa"`` (157 desa/kelurahan).

    Returns:
        The areas.
    """
    return tuple(
        Area(
            level=level,
            kode=str(props["kode"]),
            nama=str(props["nama"]),
            kecamatan=str(props["nama"] if level == "kecamatan" else props["kecamatan"]),
        )
        for props in (feature["properties"] for feature in _boundary_features(level))
    )


@functools.lru_cache(maxsize=2)
def _area_index(level: Level) -> dict[tuple[str, str | None], Area]:
    if level == "kecamatan":
        return {(area.nama.lower(), None): area for area in areas(level)}
    return {(area.kecamatan.lower(), area.nama.lower()): area for area in areas(level)}


def area_by_code(level: Level, kode: str) -> Area | None:
    """Look an area up by its Kemendagri code (``None`` when unknown)."""
    return next((area for area in areas(level) if area.kode == kode), None)


def area_of(point: TicketPoint, level: Level) -> Area | None:
    """Find the area a ticket belongs to, from its kecamatan and desa names.

    Args:
        point: The ticket.
        level: Level wanted.

    Returns:
        The area, or ``None`` when the ticket names none of this level (no location, only a
        kecamatan at desa level, or a name that is not in the boundary files).
    """
    if point.kecamatan is None:
        return None
    kecamatan = point.kecamatan.strip().lower()
    if level == "kecamatan":
        return _area_index(level).get((kecamatan, None))
    if point.desa is None:
        return None
    return _area_index(level).get((kecamatan, point.desa.strip().lower()))


@functools.lru_cache(maxsize=2)
def boundary_geojson(level: Level) -> bytes:
    """The boundary polygons of a level as compact GeoJSON (coordinates rounded).

    Args:
        level: ``"kecamatan"`` or ``"desa"``.

    Returns:
        A UTF-8 encoded FeatureCollection whose features carry ``kode``, ``nama`` and
        ``kecamatan`` properties.
    """

    def rounded(value: Any) -> Any:
        if isinstance(value, list):
            return [rounded(item) for item in value]
        return round(float(value), GEOMETRY_DECIMALS)

    features = [
        {
            "type": "Feature",
            "properties": {"kode": area.kode, "nama": area.nama, "kecamatan": area.kecamatan},
            "geometry": {
                "type": feature["geometry"]["type"],
                "coordinates": rounded(feature["geometry"]["coordinates"]),
            },
        }
        for area, feature in zip(areas(level), _boundary_features(level), strict=True)
    ]
    document = {"type": "FeatureCollection", "features": features}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------------------------------ loading


def hour_in_range(hour: int, hour_from: int | None, hour_to: int | None) -> bool:
    """Tell whether a local hour of day lies in a range that may wrap midnight.

    Args:
        hour: Hour of day, 0–23.
        hour_from: First hour kept, or ``None`` (every hour).
        hour_to: Hour at which the range ends (exclusive). ``18, 6`` keeps 18–23 and 0–5;
            ``6, 18`` keeps 6–17; equal ends keep every hour.

    Returns:
        True when the hour is kept.
    """
    if hour_from is None or hour_to is None or hour_from == hour_to:
        return True
    if hour_from < hour_to:
        return hour_from <= hour < hour_to
    return hour >= hour_from or hour < hour_to


def _sql_conditions(filters: HotspotFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.start is not None:
        conditions.append(Ticket.created_at >= filters.start)
    if filters.end is not None:
        conditions.append(Ticket.created_at < filters.end)
    if filters.categories:
        conditions.append(Ticket.category.in_(sorted(filters.categories)))
    if filters.statuses:
        conditions.append(Ticket.status.in_(sorted(filters.statuses, key=str)))
    return conditions


async def load_points(
    session: AsyncSession, filters: HotspotFilter, tz: tzinfo
) -> list[TicketPoint]:
    """Read the tickets that match the filter.

    Only the columns the map needs are selected (never reporter data or descriptions).

    Args:
        session: Database session.
        filters: What to keep.
        tz: The agency's time zone (for the hour-of-day filter).

    Returns:
        The matching tickets, oldest first.
    """
    query = (
        select(
            Ticket.number,
            Ticket.category,
            Ticket.status,
            Ticket.kecamatan,
            Ticket.desa,
            Ticket.latitude,
            Ticket.longitude,
            Ticket.created_at,
            Ticket.incident_at,
        )
        .where(*_sql_conditions(filters))
        .order_by(Ticket.created_at, Ticket.id)
    )
    points: list[TicketPoint] = []
    for row in (await session.execute(query)).all():
        occurred = row.incident_at or row.created_at
        if not hour_in_range(occurred.astimezone(tz).hour, filters.hour_from, filters.hour_to):
            continue
        points.append(
            TicketPoint(
                number=row.number,
                category=row.category,
                status=str(row.status),
                kecamatan=row.kecamatan,
                desa=row.desa,
                latitude=row.latitude,
                longitude=row.longitude,
                created_at=row.created_at,
                occurred_at=occurred,
            )
        )
    return points


# -------------------------------------------------------------------------- aggregation


def count_by_area(points: Iterable[TicketPoint], level: Level) -> AreaCounts:
    """Count tickets per kecamatan or per desa.

    Args:
        points: The tickets.
        level: Level to count at.

    Returns:
        A count for every area of the level (zeros included) and the number of tickets that
        name no area of it.
    """
    counts = dict.fromkeys((area.kode for area in areas(level)), 0)
    unplaced = 0
    for point in points:
        area = area_of(point, level)
        if area is None:
            unplaced += 1
        else:
            counts[area.kode] += 1
    return AreaCounts(level=level, counts=counts, unplaced=unplaced)


def points_in_area(points: Iterable[TicketPoint], level: Level, kode: str) -> list[TicketPoint]:
    """Return the tickets of one area (the list behind a choropleth value)."""
    return [point for point in points if (area := area_of(point, level)) and area.kode == kode]


def class_breaks(values: Iterable[int], classes: int = 5) -> list[int]:
    """Upper bounds of the legend classes of a choropleth.

    Zero always has its own class (an area without complaints must not look like one with a
    few). The non-zero values are split at quantiles, rounded up to whole complaints, and
    duplicates are dropped, so small datasets get fewer classes rather than empty ones.

    Args:
        values: The counts shown on the map.
        classes: Largest number of non-zero classes.

    Returns:
        Ascending upper bounds, starting with 0; the last one is the maximum. ``[0]`` when
        every value is zero.
    """
    positive = sorted(value for value in values if value > 0)
    if not positive:
        return [0]
    bounds: list[int] = [0]
    for index in range(1, classes + 1):
        rank = math.ceil(index * len(positive) / classes) - 1
        bound = positive[max(rank, 0)]
        if bound > bounds[-1]:
            bounds.append(bound)
    if bounds[-1] != positive[-1]:
        bounds.append(positive[-1])
    return bounds


def class_of(value: int, breaks: Sequence[int]) -> int:
    """Index of the legend class a value falls in (0 is the zero class)."""
    for index, bound in enumerate(breaks):
        if value <= bound:
            return index
    return len(breaks) - 1


def rank_areas(
    current: AreaCounts, previous: AreaCounts | None = None, *, top: int = 10
) -> list[RankRow]:
    """Rank the areas with the most complaints.

    Args:
        current: Counts of the chosen period.
        previous: Counts of the period of equal length just before it, when there is one.
        top: Rows kept.

    Returns:
        Areas with at least one complaint, most complaints first (ties: by code).
    """
    total = current.total
    rows = [
        RankRow(
            area=area,
            count=current.counts[area.kode],
            previous=None if previous is None else previous.counts.get(area.kode, 0),
            share=current.counts[area.kode] / total if total else 0.0,
        )
        for area in areas(current.level)
        if current.counts[area.kode] > 0
    ]
    rows.sort(key=lambda row: (-row.count, row.area.kode))
    return rows[:top]


# --------------------------------------------------------------------- points and clusters


def coarsen(
    latitude: float, longitude: float, cell: float = COARSE_CELL_DEGREES
) -> tuple[float, float]:
    """Snap a coordinate to the centre of its grid cell.

    Args:
        latitude: Exact latitude.
        longitude: Exact longitude.
        cell: Cell edge in degrees (default about 1 km).

    Returns:
        The cell centre, rounded to 6 decimals; every point of a cell maps to the same value.
    """
    return (
        round((math.floor(latitude / cell) + 0.5) * cell, 6),
        round((math.floor(longitude / cell) + 0.5) * cell, 6),
    )


def cell_degrees_for_zoom(zoom: int) -> float:
    """Edge of a cluster cell in degrees at a web-map zoom level (clamped to 5–18)."""
    zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
    return 360.0 / float(2**zoom) * CLUSTER_CELL_PIXELS / 256


def grid_clusters(
    points: Iterable[TicketPoint],
    cell: float,
    *,
    coarse: bool,
    with_numbers: bool = False,
    bounds: Bounds | None = None,
) -> list[Cluster]:
    """Group the located tickets into square grid cells.

    Cost is linear in the number of tickets and the output is bounded by the number of cells,
    so it scales without a client-side clustering plugin.

    Args:
        points: The tickets (those without a pin are skipped).
        cell: Cell edge in degrees (see :func:`cell_degrees_for_zoom`).
        coarse: Snap every ticket to the ~1 km grid first; the result then holds no exact
            coordinate, and never a finer grouping than that grid.
        with_numbers: Also list the ticket numbers of each cluster.
        bounds: Keep only tickets whose (coarsened) position lies in this box, so a zoomed-in
            map receives the clusters around its view rather than the whole district.

    Returns:
        One cluster per non-empty cell, largest first (ties: south-west first).
    """
    if coarse:
        cell = max(cell, COARSE_CELL_DEGREES)
    members: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
    for point in points:
        if point.latitude is None or point.longitude is None:
            continue
        latitude, longitude = point.latitude, point.longitude
        if coarse:
            latitude, longitude = coarsen(latitude, longitude)
        if bounds is not None and not bounds.contains(latitude, longitude):
            continue
        key = (math.floor(latitude / cell), math.floor(longitude / cell))
        members[key].append((latitude, longitude, point.number))
    clusters = [
        Cluster(
            latitude=round(sum(m[0] for m in group) / len(group), 6),
            longitude=round(sum(m[1] for m in group) / len(group), 6),
            count=len(group),
            numbers=tuple(m[2] for m in group) if with_numbers else (),
        )
        for group in members.values()
    ]
    clusters.sort(key=lambda c: (-c.count, c.latitude, c.longitude))
    return clusters
