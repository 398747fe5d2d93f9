"""Balangan places: pins inside kecamatan/desa, and place names in free text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lalisa.places.geo import (
    Place,
    is_inside_balangan,
    kecamatan_sharing_desa,
    list_places,
    locate_point,
    resolve_place,
    shared_desa,
    typed_coordinates,
    unreadable_map_link,
)

GEO_DIR = Path(__file__).resolve().parents[2] / "lalisa" / "places" / "data" / "geo"


def _csv(name: str) -> list[dict[str, str]]:
    with (GEO_DIR / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


KECAMATAN_ROWS = _csv("balangan_kecamatan_centroids.csv")
DESA_ROWS = _csv("balangan_desa_kemendagri_bps_crosswalk.csv")


@pytest.mark.parametrize("row", KECAMATAN_ROWS, ids=[r["nama"] for r in KECAMATAN_ROWS])
def test_interior_point_of_each_kecamatan(row: dict[str, str]) -> None:
    lat, lon = float(row["interior_point_lat"]), float(row["interior_point_lon"])
    place = locate_point(lat, lon)
    assert place is not None
    assert place.kecamatan == row["nama"]
    assert place.kode.startswith(row["kode"])
    assert (place.latitude, place.longitude) == (lat, lon)
    assert is_inside_balangan(lat, lon)


@pytest.mark.parametrize("row", DESA_ROWS, ids=[r["kode_kemendagri"] for r in DESA_ROWS])
def test_interior_point_of_each_desa(row: dict[str, str]) -> None:
    place = locate_point(float(row["interior_point_lat"]), float(row["interior_point_lon"]))
    assert place is not None
    assert (place.kecamatan, place.desa, place.kode) == (
        row["kecamatan"],
        row["nama"],
        row["kode_kemendagri"],
    )


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (-3.32, 114.59),  # Banjarmasin
        (-2.42, 115.25),  # Amuntai side, west of Balangan
        (0.0, 0.0),
        (-2.28, 114.9),  # the "114°50'" western limit of the official text is outside
    ],
)
def test_points_outside_balangan(lat: float, lon: float) -> None:
    assert locate_point(lat, lon) is None
    assert not is_inside_balangan(lat, lon)


@pytest.mark.parametrize(
    ("text", "kecamatan", "desa"),
    [
        ("paringen", "Paringin", None),
        ("Paringin", "Paringin", None),
        ("btu mandi", "Batu Mandi", None),
        ("batumandi", "Batu Mandi", None),
        ("Batu Mandi", "Batu Mandi", None),
        ("depan pasar lampihong", "Lampihong", None),
        ("lampihng", "Lampihong", None),
        ("desa hujan mas", "Paringin", "Hujan Mas"),
        ("hujanmas", "Paringin", "Hujan Mas"),
        ("Paringin Selatan", "Paringin Selatan", None),
        ("di paringin selatan dekat kantor bupati", "Paringin Selatan", None),
        ("paringinselatan", "Paringin Selatan", None),
        ("lampihong selatan", "Lampihong", "Lampihong Selatan"),
        ("paringin timur", "Paringin", "Paringin Timur"),
        ("kelurahan batu piring", "Paringin Selatan", "Batu Piring"),
        ("jalan a yani km 4 batu piring", "Paringin Selatan", "Batu Piring"),
        ("tebing tingi", "Tebing Tinggi", None),
        # A landmark of the town that gave the kecamatan its name is in that desa.
        ("dekat jembatan halong", "Halong", "Halong"),
        ("awayn", "Awayan", None),
        ("awayan hilir", "Awayan", "Awayan Hilir"),
        ("sungai pumpung", "Awayan", "Sei Pumpung"),
        ("sei pumpung", "Awayan", "Sei Pumpung"),
        ("lok batu", "Batu Mandi", "Lok Batu"),
        ("lok batung", "Paringin", "Lok Batung"),
        ("kec. Batumandi desa Mampari", "Batu Mandi", "Mampari"),
        ("juai", "Juai", None),
        ("desa juai", "Juai", "Juai"),
        ("desa tebing tinggi", "Tebing Tinggi", "Tebing Tinggi"),
        ("desa galumbang paringin selatan", "Paringin Selatan", "Galumbang"),
        ("galumbang kecamatan juai", "Juai", "Galumbang"),
        ("Desa Ju'uh", "Tebing Tinggi", "Ju'uh"),
        # Shortened words and digits, as typed on WhatsApp.
        ("tbg tinggi", "Tebing Tinggi", None),
        ("kec tbg tinggi", "Tebing Tinggi", None),
        ("paringin sltn", "Paringin Selatan", None),
        ("dsa kapul", "Halong", "Kapul"),
        ("desa gn riut halong", "Halong", "Gunung Riut"),
        ("simpang 3 lampihong", "Lampihong", "Simpang Tiga"),
        ("dusun ajung", "Tebing Tinggi", "Ajung"),
        ("warung2 makan depan terminal juwai", "Juai", "Juai"),
    ],
)
def test_resolve_place(text: str, kecamatan: str, desa: str | None) -> None:
    place = resolve_place(text)
    assert place is not None, text
    assert (place.kecamatan, place.desa) == (kecamatan, desa)
    assert locate_point(place.latitude, place.longitude) is not None


@pytest.mark.parametrize(
    ("text", "kecamatan", "desa"),
    [
        ("desa baru", "Awayan", "Baru"),
        ("di baru", "Awayan", "Baru"),
        ("desa merah", "Awayan", "Merah"),
        ("kelurahan inan", "Paringin Selatan", "Inan"),
        ("di binjai", "Paringin Selatan", "Binjai"),
        ("desa kupang", "Lampihong", "Kupang"),
        ("di auh", "Tebing Tinggi", "Auh"),
        ("desa panggung", "Paringin Selatan", "Panggung"),
        ("desa bata", "Juai", "Bata"),
        ("desa karya", "Halong", "Karya"),
        ("baru awayan", "Awayan", "Baru"),
        ("desa simpang tiga", "Lampihong", "Simpang Tiga"),
        ("simpang tiga lampihong", "Lampihong", "Simpang Tiga"),
    ],
)
def test_ambiguous_desa_with_a_cue(text: str, kecamatan: str, desa: str) -> None:
    place = resolve_place(text)
    assert place is not None, text
    assert (place.kecamatan, place.desa) == (kecamatan, desa)


@pytest.mark.parametrize(
    "text",
    [
        "baru saja ada orang mabuk",
        "merah",
        "bata merah berserakan",
        "panggung hiburan ribut sampai pagi",
        "beli binjai di pasar",
        "simpang tiga",
        "simpang 3",
        "ada pkl di km 3",
        "ada pelajar balap liar",
        "bangkai hewan di jalan",
        "mohon tindakan tegas",
        "kondisinya parah",
        "galumbang",
        "Banjarmasin",
        "balangan",
        "kabupaten balangan",
        "ulun handak bapadah",
        "ada pkl jualan di trotoar pasar",
        "",
        "   ",
        "!!!",
    ],
)
def test_resolve_place_none(text: str) -> None:
    assert resolve_place(text) is None


def test_assume_place_accepts_a_bare_ambiguous_name() -> None:
    place = resolve_place("Baru", assume_place=True)
    assert place is not None
    assert (place.kecamatan, place.desa) == ("Awayan", "Baru")
    assert resolve_place("baru saja tadi", assume_place=True) is None


def test_kecamatan_place_has_kecamatan_code() -> None:
    place = resolve_place("paringin")
    assert place == Place(
        kecamatan="Paringin",
        desa=None,
        kode="63.11.06",
        latitude=place.latitude if place else 0.0,
        longitude=place.longitude if place else 0.0,
    )


def test_list_places() -> None:
    places = list_places()
    assert len(places) == 8 + 157
    assert sum(1 for p in places if p.desa is None) == 8
    assert [p.kode for p in places] == sorted(p.kode for p in places)


def test_banjar_and_abbreviated_cues_make_an_ambiguous_desa_name_count() -> None:
    """Banjar "parak" and WhatsApp "dkt" work like "dekat" before a desa name that is a word."""
    for cue in ("dekat", "parak", "dkt"):
        place = resolve_place(f"warung {cue} binjai")
        assert place is not None and place.desa == "Binjai", cue


def test_desa_beside_the_kecamatan_name_is_the_desa() -> None:
    """In "karuh batu mandi", Batu Mandi names the kecamatan of Karuh, not desa Batumandi."""
    place = resolve_place("karuh batu mandi", assume_place=True)
    assert place is not None and (place.kecamatan, place.desa) == ("Batu Mandi", "Karuh")
    alone = resolve_place("batumandi", assume_place=True)
    assert alone is not None and (alone.kecamatan, alone.desa) == ("Batu Mandi", None)


@pytest.mark.parametrize(
    ("text", "kecamatan", "desa"),
    [
        # A landmark named after the kecamatan comes first; "desa X" later names the village.
        ("simpang dekat puskesmas juai, desa juai", "Juai", "Juai"),
        ("depan pasar halong desa halong rt 2", "Halong", "Halong"),
        ("kantor camat awayan, ds awayan", "Awayan", "Awayan"),
        # Said bare or after "kecamatan", the name is the kecamatan.
        ("juai", "Juai", None),
        ("di kecamatan halong", "Halong", None),
    ],
)
def test_a_name_said_twice_counts_where_it_is_cued(
    text: str, kecamatan: str, desa: str | None
) -> None:
    place = resolve_place(text, assume_place=True)
    assert place is not None and (place.kecamatan, place.desa) == (kecamatan, desa)


@pytest.mark.parametrize(
    ("text", "kecamatan", "desa"),
    [
        # A landmark in the town that gave the kecamatan its name is in that desa.
        ("pasar batumandi", "Batu Mandi", "Batumandi"),
        ("depan sdn 1 batumandi", "Batu Mandi", "Batumandi"),
        ("tengah jalan halong parak pasar", "Halong", "Halong"),
        ("depan kantor camat awayan", "Awayan", "Awayan"),
        # The kecamatan named as such, or alone, stays the kecamatan; no desa Paringin exists.
        ("kec halong dekat pasar", "Halong", None),
        ("di halong", "Halong", None),
        ("pasar paringin", "Paringin", None),
    ],
)
def test_a_town_landmark_is_in_the_seat_desa(text: str, kecamatan: str, desa: str | None) -> None:
    place = resolve_place(text, assume_place=True)
    assert place is not None and (place.kecamatan, place.desa) == (kecamatan, desa)


@pytest.mark.parametrize(
    ("text", "kecamatan", "desa"),
    [
        # The name after "arah ke", "ka arah", "menuju" is the way to go, not the place.
        ("200 meter dari masjid agung paringin arah ke juai", "Paringin", None),
        ("parak simpang tiga lampihong, kira-kira 300 meter ka arah awayan", "Lampihong",
         "Simpang Tiga"),
        ("500 meter dari jembatan desa lok batu ke arah paringin", "Batu Mandi", "Lok Batu"),
        ("kantor camat paringin selatan arah ke desa halong", "Paringin Selatan", None),
        ("jalan desa halong menuju awayan", "Halong", "Halong"),
        # Said alone, the direction is all the citizen gave: it is the place.
        ("jalan arah ke juai", "Juai", "Juai"),
    ],
)  # fmt: skip
def test_a_name_said_as_a_direction_is_not_the_place(
    text: str, kecamatan: str, desa: str | None
) -> None:
    place = resolve_place(text, assume_place=True)
    assert place is not None
    assert (place.kecamatan, place.desa) == (kecamatan, desa)


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("Koordinatnya -2.425398, 115.608212", (-2.425398, 115.608212)),
        ("https://maps.google.com/?q=-2.324289,115.460773", (-2.324289, 115.460773)),
        ("https://www.google.com/maps/place/-2.457197,115.506692", (-2.457197, 115.506692)),
        ("https://www.google.com/maps/@-2.457197,115.506692,17z", (-2.457197, 115.506692)),
        ("maps?query=-2.45720%2C115.50669", (-2.4572, 115.50669)),
        ("-2.425398 115.608212", (-2.425398, 115.608212)),
        ("2°25'31.4\"S 115°36'29.6\"E", (-2.425389, 115.608222)),
    ],
)
def test_typed_coordinates(text: str, point: tuple[float, float]) -> None:
    found = typed_coordinates(text)
    assert found is not None
    assert found == pytest.approx(point, abs=1e-5)


@pytest.mark.parametrize(
    "text",
    [
        "https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8",  # a short link holds no coordinates
        "jarak 2,5 km dari pasar",
        "tgl 12.05.2025",
        "harganya 2.5 jt",
    ],
)
def test_no_typed_coordinates(text: str) -> None:
    assert typed_coordinates(text) is None


def test_a_desa_name_two_kecamatan_share() -> None:
    assert resolve_place("desa galumbang", assume_place=True) is None
    assert kecamatan_sharing_desa("desa galumbang") == ("Juai", "Paringin Selatan")
    assert kecamatan_sharing_desa("desa halong") == ()


@pytest.mark.parametrize(
    ("text", "rest", "place_name"),
    [
        ("https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8", "", ""),
        ("ini min goo.gl/maps/Ab12Cd di desa halong", "ini min di desa halong", ""),
        ("https://g.co/kgs/xYz123", "", ""),
        ("https://www.google.com/maps/place/Pasar+Paringin/data=!4m2", "", "Pasar Paringin"),
    ],
)
def test_a_map_link_without_coordinates_is_recognised(
    text: str, rest: str, place_name: str
) -> None:
    link = unreadable_map_link(text)
    assert link is not None
    assert (link.rest, link.place_name) == (rest, place_name)


@pytest.mark.parametrize(
    "text",
    [
        "https://www.google.com/maps/place/-2.457197,115.506692",  # read as coordinates
        "https://maps.google.com/?q=-2.324289,115.460773",
        "desa halong dekat masjid",
        "https://example.com/lokasi",
    ],
)
def test_links_with_coordinates_and_plain_text_are_no_unreadable_link(text: str) -> None:
    assert unreadable_map_link(text) is None


def test_the_shared_desa_is_named_as_spelled() -> None:
    assert shared_desa("di ds galumbang dkt langgar") == ("Galumbang", ("Juai", "Paringin Selatan"))
    assert shared_desa("desa halong") is None


@pytest.mark.parametrize(
    ("text", "kecamatan"),
    [("pasar lampihunggg", "Lampihong"), ("terminal juaiii", "Juai"), ("desa halonggg", "Halong")],
)
def test_a_letter_held_on_a_phone_does_not_hide_the_place(text: str, kecamatan: str) -> None:
    place = resolve_place(text, assume_place=True)
    assert place is not None and place.kecamatan == kecamatan
