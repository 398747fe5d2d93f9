"""The "Peta Rawan" page and the JSON/GeoJSON endpoints it fetches.

Routes (all for superadmin, admin, verifikator and pimpinan):

- ``GET /peta-rawan``: the page (filters, map, ranking of vulnerable areas).
- ``GET /peta-rawan/batas/{tingkat}``: boundary polygons (GeoJSON, no complaint data).
- ``GET /peta-rawan/data``: counts per kecamatan and desa with legend breaks and rankings.
- ``GET /peta-rawan/titik``: grid clusters of complaint locations (GeoJSON).
- ``GET /peta-rawan/aduan``: the tickets behind one area's count.

Location privacy: only :data:`EXACT_LOCATION_ROLES` receive pin coordinates. Every other role
gets clusters built from points snapped to a ~1 km grid (:func:`lalisa.places.hotspots.coarsen`), so
exact coordinates never leave the server for them.
"""

from __future__ import annotations

import functools
import gzip
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from backoffice.auth.roles import Role
from backoffice.db import DbSession
from backoffice.errors import PageError
from backoffice.hotspots.filters import (
    HOUR_PRESETS,
    PERIOD_PRESETS,
    MapFilters,
    Period,
    hotspot_filter,
    resolve_period,
)
from backoffice.permissions import require_roles
from backoffice.templating import local_time, render
from backoffice.tickets.common import EXACT_LOCATION_ROLES, status_label
from lalisa.core.models import utcnow
from lalisa.core.settings import get_settings
from lalisa.places import hotspots
from lalisa.places.hotspots import LEVELS, AreaCounts, Level, RankRow, TicketPoint
from lalisa.tickets.categories import CATEGORY_LABELS, category_label
from lalisa.tickets.labels import STAFF_STATUS_LABELS
from lalisa.tickets.models import TicketStatus
from lalisa.users.models import User

router = APIRouter(prefix="/peta-rawan", tags=["hotspots"])

MAP_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR, Role.PIMPINAN)
"""Who may open the map (the same roles as the inbox)."""
MapViewer = Annotated[User, Depends(require_roles(*MAP_ROLES))]

RANKING_SIZE: Final = 10
AREA_LIST_LIMIT: Final = 200
LEVEL_LABELS: Final[dict[str, str]] = {"kecamatan": "Kecamatan", "desa": "Desa/kelurahan"}
UNKNOWN_AREA: Final = "Wilayah tidak ditemukan."
UNKNOWN_LEVEL: Final = "Tingkat wilayah tidak dikenal."


def _json(payload: Any) -> JSONResponse:
    return JSONResponse(payload, headers={"Cache-Control": "no-store"})


def _level(raw: str) -> Level:
    if raw not in LEVELS:
        raise PageError(404, UNKNOWN_LEVEL)
    return raw


async def _points(db: DbSession, filters: MapFilters, period: Period | None) -> list[TicketPoint]:
    tz = get_settings().office.tz
    return await hotspots.load_points(db, hotspot_filter(filters, period, tz), tz)


def _period(filters: MapFilters) -> Period:
    return resolve_period(filters, utcnow().astimezone(get_settings().office.tz).date())


def _rank_json(row: RankRow) -> dict[str, Any]:
    return {
        "kode": row.area.kode,
        "nama": row.area.nama,
        "kecamatan": row.area.kecamatan,
        "jumlah": row.count,
        "sebelumnya": row.previous,
        "perubahan": row.change,
        "persen": round(row.share * 100, 1),
    }


def _level_json(current: AreaCounts, previous: AreaCounts | None) -> dict[str, Any]:
    return {
        "jumlah": current.counts,
        "batas_kelas": hotspots.class_breaks(current.counts.values()),
        "tanpa_wilayah": current.unplaced,
        "peringkat": [
            _rank_json(row) for row in hotspots.rank_areas(current, previous, top=RANKING_SIZE)
        ],
    }


async def _figures(db: DbSession, filters: MapFilters) -> dict[str, Any]:
    period = _period(filters)
    points = await _points(db, filters, period)
    before = period.previous()
    previous_points = await _points(db, filters, before) if before is not None else None
    levels: dict[str, Any] = {}
    for level in LEVELS:
        current = hotspots.count_by_area(points, level)
        previous = (
            hotspots.count_by_area(previous_points, level) if previous_points is not None else None
        )
        levels[level] = _level_json(current, previous)
    return {
        "periode": {
            "label": period.label,
            "dari": period.start.isoformat() if period.start else None,
            "sampai": period.end.isoformat() if period.end else None,
            "sebelumnya": (
                {"dari": before.start.isoformat(), "sampai": before.end.isoformat()}
                if before is not None and before.start and before.end
                else None
            ),
        },
        "masalah": period.problem,
        "total": len(points),
        "tanpa_titik": sum(1 for point in points if point.latitude is None),
        "tingkat": levels,
    }


@router.get("", response_class=HTMLResponse)
async def map_page(request: Request, db: DbSession, user: MapViewer) -> HTMLResponse:
    """The map page; the ranking is rendered here, the map layers are fetched by the script."""
    filters = MapFilters.from_query(request.query_params)
    figures = await _figures(db, filters)
    settings = request.app.state.settings
    return render(
        request,
        "hotspots/map.html",
        {
            "filters": filters,
            "figures": figures,
            "periods": PERIOD_PRESETS,
            "hour_presets": HOUR_PRESETS,
            "categories": CATEGORY_LABELS,
            "statuses": [(status.value, STAFF_STATUS_LABELS[status]) for status in TicketStatus],
            "level_labels": LEVEL_LABELS,
            "coarse": user.role not in EXACT_LOCATION_ROLES,
            "tile_url": settings.hotspot_tile_url,
            "tile_attribution": settings.hotspot_tile_attribution,
            "hours": range(24),
        },
    )


@functools.lru_cache(maxsize=2)
def _gzipped_boundaries(level: Level) -> bytes:
    return gzip.compress(hotspots.boundary_geojson(level), compresslevel=9, mtime=0)


@router.get("/batas/{tingkat}")
async def boundaries(request: Request, tingkat: str, _user: MapViewer) -> Response:
    """Boundary polygons of one level (static data, cacheable by the browser for an hour).

    Sent gzip-compressed when the browser accepts it (the desa file shrinks from ~690 kB to
    ~150 kB, which matters on a district office's connection). Only this static, public data is
    compressed: pages carrying CSRF tokens stay uncompressed.
    """
    level = _level(tingkat)
    headers = {"Cache-Control": "private, max-age=3600", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(
            _gzipped_boundaries(level),
            media_type="application/geo+json",
            headers={**headers, "Content-Encoding": "gzip"},
        )
    return Response(
        hotspots.boundary_geojson(level), media_type="application/geo+json", headers=headers
    )


@router.get("/data")
async def figures(request: Request, db: DbSession, _user: MapViewer) -> JSONResponse:
    """Counts per kecamatan and desa, legend class breaks and the rankings, for the filters."""
    return _json(await _figures(db, MapFilters.from_query(request.query_params)))


@router.get("/titik")
async def clusters(
    request: Request, db: DbSession, user: MapViewer, zoom: int = 11, bbox: str = ""
) -> JSONResponse:
    """Grid clusters of complaint locations for a zoom level (coarsened for some roles).

    ``bbox`` (``west,south,east,north``) limits the answer to the area around the view.
    """
    filters = MapFilters.from_query(request.query_params)
    points = await _points(db, filters, _period(filters))
    coarse = user.role not in EXACT_LOCATION_ROLES
    cell = hotspots.cell_degrees_for_zoom(zoom)
    bounds = hotspots.Bounds.parse(bbox[:200]) if bbox else None
    found = hotspots.grid_clusters(points, cell, coarse=coarse, bounds=bounds)
    return _json(
        {
            "type": "FeatureCollection",
            "dikasarkan": coarse,
            "features": [
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [cluster.longitude, cluster.latitude],
                    },
                    "properties": {"jumlah": cluster.count},
                }
                for cluster in found
            ],
        }
    )


@router.get("/aduan")
async def area_tickets(
    request: Request, db: DbSession, _user: MapViewer, tingkat: str = "", kode: str = ""
) -> JSONResponse:
    """The tickets behind one area's count (newest first), with links to their pages."""
    level = _level(tingkat)
    area = hotspots.area_by_code(level, kode.strip()[:20])
    if area is None:
        raise PageError(404, UNKNOWN_AREA)
    filters = MapFilters.from_query(request.query_params)
    period = _period(filters)
    behind = hotspots.points_in_area(await _points(db, filters, period), level, area.kode)
    behind.sort(key=lambda point: point.created_at, reverse=True)
    inbox_query = {
        "kecamatan": area.kecamatan,
        "kategori": filters.kategori,
        "status": filters.status,
        "dari": period.start.isoformat() if period.start else "",
        "sampai": period.end.isoformat() if period.end else "",
    }
    return _json(
        {
            "wilayah": {
                "tingkat": level,
                "kode": area.kode,
                "nama": area.nama,
                "kecamatan": area.kecamatan,
            },
            "jumlah": len(behind),
            "terpotong": len(behind) > AREA_LIST_LIMIT,
            "daftar_aduan": "/aduan?" + urlencode({k: v for k, v in inbox_query.items() if v}),
            "aduan": [
                {
                    "nomor": point.number,
                    "tautan": f"/aduan/{point.number}",
                    "kategori": category_label(point.category),
                    "status": status_label(point.status),
                    "desa": point.desa,
                    "diterima": local_time(point.created_at),
                }
                for point in behind[:AREA_LIST_LIMIT]
            ],
        }
    )
