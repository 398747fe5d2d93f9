"""The "Peta Rawan" page and endpoints: counts, filters, area lists, coarsening, CSP."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backoffice.app import CONTENT_SECURITY_POLICY, content_security_policy, create_app
from backoffice.auth.roles import Role
from backoffice.hotspots.filters import MapFilters, resolve_period
from lalisa.core.db import session_scope
from lalisa.core.settings import BackofficeSettings, SettingsError, tile_origin
from lalisa.tickets.service import ComplaintDraft, submit_complaint
from lalisa.users.models import User
from lalisa_common.env import read_env
from tests.backoffice.helpers import SignedIn, sign_in_directly

WITA = ZoneInfo("Asia/Makassar")
# Pins with many decimals, so a leaked coordinate is easy to find in a response.
PARINGIN_KOTA = (-2.3242871, 115.4607733)
BATU_PIRING = (-2.3652039, 115.4697661)
GALUMBANG_JUAI = (-2.2614431, 115.6093987)
EXACT_VALUES = [str(v) for pin in (PARINGIN_KOTA, BATU_PIRING, GALUMBANG_JUAI) for v in pin]


async def seed(
    kecamatan: str,
    desa: str | None,
    pin: tuple[float, float] | None,
    *,
    category: str = "pkl",
    hours_ago: float = 2,
    local_hour: int | None = None,
) -> str:
    now = datetime.now(timezone.utc)
    created = now - timedelta(hours=hours_ago)
    if local_hour is not None:
        local = (now - timedelta(days=1)).astimezone(WITA)
        created = local.replace(hour=local_hour, minute=15, second=0, microsecond=0)
    async with session_scope() as session:
        ticket = await submit_complaint(
            session,
            ComplaintDraft(
                category=category,
                description="uji peta",
                latitude=pin[0] if pin else None,
                longitude=pin[1] if pin else None,
                kecamatan=kecamatan,
                desa=desa,
                reporter_sender_id="6281200000002",
                reporter_channel="whatsapp",
                reporter_name="Pelapor Rahasia",
                submission_key=f"peta-{uuid.uuid4().hex}",
            ),
            now=created,
        )
        return ticket.number


@pytest.fixture
async def tickets() -> dict[str, str]:
    """Five complaints: three in Paringin (two at night), one in Juai, one without a pin."""
    return {
        "kota_night": await seed("Paringin", "Paringin Kota", PARINGIN_KOTA, local_hour=22),
        "kota_day": await seed("Paringin", "Paringin Kota", PARINGIN_KOTA, local_hour=10),
        "kota_dawn": await seed(
            "Paringin", "Paringin Kota", PARINGIN_KOTA, local_hour=3, category="miras"
        ),
        "juai": await seed("Juai", "Galumbang", GALUMBANG_JUAI, local_hour=14),
        "selatan_nopin": await seed("Paringin Selatan", "Batu Piring", None, local_hour=11),
        "old": await seed("Paringin Selatan", "Batu Piring", BATU_PIRING, hours_ago=24 * 40),
    }


async def get_json(client: SignedIn, url: str) -> dict[str, Any]:
    response = await client.client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    data: dict[str, Any] = response.json()
    return data


async def test_counts_per_kecamatan_and_desa_follow_the_filters(
    as_role: dict[Role, SignedIn], tickets: dict[str, str]
) -> None:
    admin = as_role[Role.ADMIN]
    month = await get_json(admin, "/peta-rawan/data?periode=30h")
    kecamatan = month["tingkat"]["kecamatan"]
    assert month["total"] == 5
    assert month["tanpa_titik"] == 1
    assert kecamatan["jumlah"]["63.11.06"] == 3  # Paringin
    assert kecamatan["jumlah"]["63.11.01"] == 1  # Juai
    assert kecamatan["jumlah"]["63.11.07"] == 1  # Paringin Selatan (no pin, still counted)
    assert kecamatan["batas_kelas"][0] == 0 and kecamatan["batas_kelas"][-1] == 3
    assert [row["nama"] for row in kecamatan["peringkat"]] == [
        "Paringin",
        "Juai",
        "Paringin Selatan",
    ]
    desa = month["tingkat"]["desa"]
    assert desa["jumlah"]["63.11.06.1023"] == 3
    assert desa["jumlah"]["63.11.01.2006"] == 1
    assert desa["jumlah"]["63.11.07.2006"] == 0  # the other Galumbang

    every = await get_json(admin, "/peta-rawan/data?periode=semua")
    assert every["total"] == 6
    assert every["tingkat"]["desa"]["jumlah"]["63.11.07.1001"] == 2

    night = await get_json(admin, "/peta-rawan/data?periode=30h&jam_dari=18&jam_sampai=6")
    assert night["total"] == 2
    assert night["tingkat"]["desa"]["jumlah"]["63.11.06.1023"] == 2

    miras = await get_json(admin, "/peta-rawan/data?periode=30h&kategori=miras")
    assert miras["total"] == 1

    done = await get_json(admin, "/peta-rawan/data?periode=30h&status=selesai")
    assert done["total"] == 0
    assert done["tingkat"]["kecamatan"]["batas_kelas"] == [0]


async def test_ranking_compares_with_the_previous_period(
    as_role: dict[Role, SignedIn], tickets: dict[str, str]
) -> None:
    data = await get_json(as_role[Role.PIMPINAN], "/peta-rawan/data?periode=30h")
    rows = {row["nama"]: row for row in data["tingkat"]["kecamatan"]["peringkat"]}
    # The 40-day-old ticket falls in the 30 days before.
    assert rows["Paringin Selatan"]["jumlah"] == 1
    assert rows["Paringin Selatan"]["sebelumnya"] == 1
    assert rows["Paringin"]["perubahan"] == 3
    assert rows["Paringin"]["persen"] == 60.0
    assert data["periode"]["sebelumnya"] is not None


async def test_the_page_shows_the_ranking_filters_and_map_hooks(
    as_role: dict[Role, SignedIn], tickets: dict[str, str]
) -> None:
    response = await as_role[Role.PIMPINAN].client.get("/peta-rawan?periode=30h&tingkat=desa")
    assert response.status_code == 200
    html = response.text
    assert 'id="peringkat-kecamatan"' in html and 'id="peringkat-desa"' in html
    assert re.search(r'data-kode="63\.11\.06\.1023">\s*<td data-label="Peringkat">1</td>', html)
    assert 'data-tingkat-awal="desa"' in html
    figures = re.search(r"data-figures='([^']*)'", html)
    assert figures is not None
    embedded = json.loads(figures.group(1).replace("&#34;", '"').replace("&amp;", "&"))
    assert embedded["tingkat"]["desa"]["jumlah"]["63.11.06.1023"] == 3
    assert 'src="/static/vendor/leaflet/leaflet.js"' in html
    assert 'id="peta-dikasarkan"' in html  # pimpinan is told points are coarsened
    assert "Pelapor Rahasia" not in html and "6281200000002" not in html
    assert "<script>" not in html and " style=" not in html
    admin = await as_role[Role.ADMIN].client.get("/peta-rawan")
    assert 'id="peta-dikasarkan"' not in admin.text


async def test_pimpinan_gets_no_exact_coordinate(
    as_role: dict[Role, SignedIn], tickets: dict[str, str]
) -> None:
    for zoom in (8, 12, 18):
        for url in (
            f"/peta-rawan/titik?periode=semua&zoom={zoom}",
            "/peta-rawan/data?periode=semua",
            "/peta-rawan/aduan?periode=semua&tingkat=desa&kode=63.11.06.1023",
        ):
            response = await as_role[Role.PIMPINAN].client.get(url)
            assert response.status_code == 200
            for value in EXACT_VALUES:
                assert value[:7] not in response.text, (url, value)
    coarse = await get_json(as_role[Role.PIMPINAN], "/peta-rawan/titik?periode=semua&zoom=18")
    assert coarse["dikasarkan"] is True
    positions = {tuple(f["geometry"]["coordinates"]) for f in coarse["features"]}
    assert (115.465, -2.325) in positions  # Paringin Kota snapped to its 0.01° cell centre
    assert sum(f["properties"]["jumlah"] for f in coarse["features"]) == 5


async def test_admin_gets_exact_points_clustered_by_zoom(
    as_role: dict[Role, SignedIn], tickets: dict[str, str]
) -> None:
    fine = await get_json(as_role[Role.VERIFIKATOR], "/peta-rawan/titik?periode=semua&zoom=18")
    assert fine["dikasarkan"] is False
    by_position = {
        tuple(f["geometry"]["coordinates"]): f["properties"]["jumlah"] for f in fine["features"]
    }
    assert by_position[(115.460773, -2.324287)] == 3
    assert len(by_position) == 3  # Paringin Kota, Galumbang (Juai), Batu Piring (old)
    around_paringin = await get_json(
        as_role[Role.VERIFIKATOR],
        "/peta-rawan/titik?periode=semua&zoom=18&bbox=115.45,-2.33,115.47,-2.32",
    )
    assert [f["properties"]["jumlah"] for f in around_paringin["features"]] == [3]
    wide = await get_json(as_role[Role.VERIFIKATOR], "/peta-rawan/titik?periode=semua&zoom=5")
    assert [f["properties"]["jumlah"] for f in wide["features"]] == [5]
    night = await get_json(
        as_role[Role.ADMIN], "/peta-rawan/titik?periode=30h&zoom=18&jam_dari=18&jam_sampai=6"
    )
    assert [f["properties"]["jumlah"] for f in night["features"]] == [2]


async def test_area_list_names_the_tickets_behind_a_count(
    as_role: dict[Role, SignedIn], tickets: dict[str, str]
) -> None:
    data = await get_json(
        as_role[Role.ADMIN],
        "/peta-rawan/aduan?periode=30h&kategori=pkl&tingkat=desa&kode=63.11.06.1023",
    )
    assert data["wilayah"]["nama"] == "Paringin Kota"
    assert data["jumlah"] == 2
    assert {row["nomor"] for row in data["aduan"]} == {tickets["kota_night"], tickets["kota_day"]}
    assert data["aduan"][0]["tautan"] == f"/aduan/{data['aduan'][0]['nomor']}"
    assert data["daftar_aduan"].startswith("/aduan?kecamatan=Paringin&kategori=pkl&dari=")
    assert "Pelapor" not in json.dumps(data)

    kecamatan = await get_json(
        as_role[Role.ADMIN], "/peta-rawan/aduan?periode=30h&tingkat=kecamatan&kode=63.11.07"
    )
    assert [row["nomor"] for row in kecamatan["aduan"]] == [tickets["selatan_nopin"]]
    missing = await as_role[Role.ADMIN].client.get("/peta-rawan/aduan?tingkat=desa&kode=99")
    assert missing.status_code == 404


async def test_boundaries_are_served_for_both_levels(as_role: dict[Role, SignedIn]) -> None:
    client = as_role[Role.PIMPINAN].client
    for level, count in (("kecamatan", 8), ("desa", 157)):
        plain = await client.get(f"/peta-rawan/batas/{level}", headers={"Accept-Encoding": ""})
        assert plain.status_code == 200
        assert plain.headers["content-type"].startswith("application/geo+json")
        assert "content-encoding" not in plain.headers
        assert len(plain.json()["features"]) == count
        packed = await client.get(f"/peta-rawan/batas/{level}", headers={"Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert int(packed.headers["content-length"]) < len(plain.content) / 3
        assert packed.json() == plain.json()  # httpx decodes it
    assert (await as_role[Role.ADMIN].client.get("/peta-rawan/batas/provinsi")).status_code == 404


def test_period_presets_and_custom_ranges() -> None:
    today = datetime(2026, 11, 28).date()
    week = resolve_period(MapFilters(periode="7h"), today)
    assert (str(week.start), str(week.end)) == ("2026-11-22", "2026-11-28")
    previous = week.previous()
    assert previous is not None
    assert (str(previous.start), str(previous.end)) == ("2026-11-15", "2026-11-21")
    year = resolve_period(MapFilters(periode="tahun"), today)
    assert str(year.start) == "2026-01-01"
    assert resolve_period(MapFilters(periode="semua"), today).previous() is None
    custom = resolve_period(MapFilters(periode="kustom", dari="2026-10-01"), today)
    assert (str(custom.start), custom.end, custom.problem) == ("2026-10-01", None, "")
    bad = resolve_period(MapFilters(periode="kustom", dari="01/10/2026"), today)
    assert bad.start is None and "tidak valid" in bad.problem
    reversed_range = resolve_period(
        MapFilters(periode="kustom", dari="2026-10-05", sampai="2026-10-01"), today
    )
    assert reversed_range.problem and reversed_range.start is None


def test_unknown_filter_values_fall_back_to_all() -> None:
    filters = MapFilters.from_query(
        {"periode": "abad", "kategori": "narkoba", "status": "x", "jam_dari": "25", "tingkat": "?"}
    )
    assert filters == MapFilters()
    half = MapFilters.from_query({"jam_dari": "18"})
    assert (half.jam_dari, half.jam_sampai) == ("", "")


# ------------------------------------------------------------------------------- CSP


def test_tile_origin_allows_only_tile_templates() -> None:
    assert tile_origin("https://tile.example.org/{z}/{x}/{y}.png") == "https://tile.example.org"
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == (
        "https://*.tile.example.org"
    )
    for bad in (
        "ftp://tile.example.org/{z}/{x}/{y}.png",
        "https://tile.example.org/tiles.png",
        "https://tile.example.org; script-src *//{z}/{x}/{y}",
    ):
        with pytest.raises(SettingsError):
            tile_origin(bad)
    with pytest.raises(SettingsError):
        BackofficeSettings.from_env(
            read_env({"HOTSPOT_TILE_URL": "javascript:alert(1)"}, env_file=None)
        )


async def test_csp_allows_the_tile_server_only_when_configured(
    lalisa_env: dict[str, str], as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    assert content_security_policy(BackofficeSettings()) == CONTENT_SECURITY_POLICY
    default = await as_role[Role.ADMIN].client.get("/peta-rawan")
    assert default.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert 'data-tile-url=""' in default.text

    settings = BackofficeSettings.from_env(
        read_env(
            {
                "HOTSPOT_TILE_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png",
                "HOTSPOT_TILE_ATTRIBUTION": "© Contoh <peta>",
            },
            env_file=None,
        )
    )
    tiled = create_app(settings)
    signed_in = await sign_in_directly(tiled, users[Role.PIMPINAN], settings)
    async with signed_in.client as client:
        response = await client.get("/peta-rawan")
    policy = response.headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://*.tile.example.org;" in policy
    assert "script-src 'self';" in policy and "default-src 'self';" in policy
    assert 'data-tile-url="https://{s}.tile.example.org/{z}/{x}/{y}.png"' in response.text
    assert 'data-tile-attribution="© Contoh &lt;peta&gt;"' in response.text
