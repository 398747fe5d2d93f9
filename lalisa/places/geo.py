"""Places in Kabupaten Balangan: point lookup (pins) and place names in free text.

The polygons of the 8 kecamatan and 157 desa/kelurahan are read once, on first use, from
``lalisa/places/data/geo/*.geojson`` (see ``SOURCES.md`` there). Call :func:`preload` at start-up to
pay that cost (a few hundred ms) before the first message instead of during it.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from rapidfuzz import fuzz, process
from shapely import STRtree, prepare
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from lalisa_common.map_links import MAP_LINK

GEO_DIR = Path(__file__).resolve().parent / "data" / "geo"


@dataclass(frozen=True)
class Place:
    """A kecamatan, or a desa/kelurahan inside one.

    Attributes:
        kecamatan: Official kecamatan name (e.g. ``"Paringin Selatan"``).
        desa: Official desa/kelurahan name, or ``None`` when only the kecamatan is known.
        kode: Kemendagri code of the most precise unit (``63.11.06`` or ``63.11.06.2013``).
        latitude: Latitude of the pin, or of a point guaranteed inside the unit for names.
        longitude: Longitude, as above.
    """

    kecamatan: str
    desa: str | None
    kode: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _Unit:
    kind: Literal["kecamatan", "desa"]
    nama: str
    kode: str
    kecamatan: str
    geometry: BaseGeometry
    interior_lat: float
    interior_lon: float
    aliases: tuple[str, ...]

    def place(self) -> Place:
        return Place(
            kecamatan=self.kecamatan,
            desa=self.nama if self.kind == "desa" else None,
            kode=self.kode,
            latitude=self.interior_lat,
            longitude=self.interior_lon,
        )


@dataclass(frozen=True)
class _Gazetteer:
    kecamatan: tuple[_Unit, ...]
    desa: tuple[_Unit, ...]
    desa_tree: STRtree
    kecamatan_tree: STRtree
    boundary: BaseGeometry
    names: tuple[_Name, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class _Name:
    key: str  # normalised name without spaces, the string compared with text windows
    n_tokens: int
    unit: _Unit
    ambiguity: int  # 0 none, 1 needs a cue word ("di", "desa"…), 2 needs "desa"/"kelurahan"


# Desa names that are ordinary words (or too short to match safely); they count only after a
# cue word or when the text also names their kecamatan.
_AMBIGUOUS_WORDS = frozenset(
    {
        "baru",
        "merah",
        "karya",
        "inan",
        "bata",
        "panggung",
        "binjai",
        "kupang",
        "auh",
        "guha",
        "riwa",
        "liyu",
        "mihu",
        "uren",
        "puyun",
        "kapul",
        "binju",
        "tundi",
        "dahai",
        "ajung",
        "mauya",
        "hukai",
        "pudak",
        "lajar",
        "bakung",
        "kasai",
        "paran",
        "balang",
        "layap",
        "tampang",
        "pematang",
        "karuh",
        "sirap",
        "bungur",
        "bungin",
        "langkap",
        "mampari",
        "jungkal",
        "lingsir",
        "pimping",
        "mundar",
        "kedondong",
        "tabuan",
        "bangkal",
        "marias",
        "juuh",
        "sungsum",
        "bihara",
        "nungka",
        "lalayau",
        "sikontan",
    }
)
# Multi-word desa names that are also everyday phrases ("di simpang tiga" is any crossroads);
# only "desa …"/"kelurahan …" or a matching kecamatan in the same text makes them a place.
_GENERIC_PHRASES = frozenset(
    {
        "simpang tiga",
        "hilir pasar",
        "sungai tabuk",
        "gunung batu",
        "padang raya",
        "muara jaya",
        "sumber agung",
        "sumber rejeki",
        "teluk karya",
        "batu merah",
        "kandang jaya",
        "banua hanyar",
        "sungai awang",
    }
)
# Everyday words within one typo of a desa name; they never count as a misspelt place.
_COMMON_WORDS = frozenset(
    {
        "pelajar",
        "bangkai",
        "lengkap",
        "tindakan",
        "tabungan",
        "halang",
        "bicara",
        "gelombang",
        "kurang",
        "mundur",
        "pimpinan",
        "tetangga",
        "tahanan",
        "balangan",
        "kampung",
        "pasar",
        "jalan",
        "simpang",
        "sungai",
        "gunung",
        "tengah",
        "samping",
        "belakang",
        "depan",
        "dekat",
        "sebelah",
        "ujung",
        "pinggir",
        "rumah",
        "warung",
        "masjid",
        "mesjid",
        "sekolah",
        "kantor",
        "lapangan",
        "terminal",
        "jembatan",
        "tadi",
        "malam",
        "pagi",
        "siang",
        "sore",
        "kemarin",
        "samalam",
        "banyak",
        "orang",
        "mabuk",
        "ribut",
        "sampah",
        "parkir",
        "jualan",
        "dagang",
        "pedagang",
        "lampu",
    }
)
_STRONG_CUES = frozenset({"desa", "ds", "kelurahan", "kel", "kampung", "kampong", "dusun"})
# "parak" is Banjar for "dekat"; "dkt" is how it is typed on WhatsApp.
_WEAK_CUES = frozenset({"di", "dekat", "dkt", "parak", "daerah", "wilayah", "sekitar", "kawasan"})
_FILLER = _STRONG_CUES | _WEAK_CUES | frozenset({"kecamatan", "kec", "kab", "kabupaten"})
_KECAMATAN_CUES = frozenset({"kecamatan", "kec", "kecamatannya"})
# "… arah ke Juai", "ka arah Awayan", "menuju Paringin": the name after them says which way
# the place lies from a landmark, not where it is.
_TOWARD_WORDS = frozenset({"arah", "kearah", "menuju", "jurusan"})
_TO_WORDS = frozenset({"ke", "ka"})
_MAX_WINDOW = 4


# How place words are shortened on WhatsApp ("tbg tinggi", "gn batu", "paringin sltn", "dsa
# kapul"), digits in names ("simpang 3") and older spellings ("Juwai"): read as the gazetteer
# writes them.
_ABBREVIATIONS: Final = {
    "tbg": "tebing",
    "tbng": "tebing",
    "gn": "gunung",
    "gng": "gunung",
    "gunng": "gunung",
    "sltn": "selatan",
    "slt": "selatan",
    "sel": "selatan",
    "dsa": "desa",
    # Older spellings of kecamatan names.
    "juwai": "juai",
    "dsn": "dusun",
    "kpg": "kampung",
    "kmp": "kampung",
    "1": "satu",
    "2": "dua",
    "3": "tiga",
    "4": "empat",
}


def _normalise(text: str) -> list[str]:
    text = text.lower().replace("'", "").replace("’", "").replace("`", "")
    # A letter held on a phone ("lampihungggg", "juwaiii"): no place name has three in a row.
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)
    return [_ABBREVIATIONS.get(token, token) for token in re.sub(r"[^a-z0-9]+", " ", text).split()]


def _name_variants(name: str) -> set[str]:
    """Spelling variants of a name: as written, and with sungai/sei/sg swapped."""
    base = " ".join(_normalise(name))
    variants = {base}
    for short in ("sungai", "sei", "sg"):
        if base.startswith(short + " "):
            rest = base[len(short) + 1 :]
            variants |= {f"{prefix} {rest}" for prefix in ("sungai", "sei", "sg")}
    return variants


def _read_geojson(name: str) -> list[dict[str, Any]]:
    with (GEO_DIR / name).open(encoding="utf-8") as handle:
        features: list[dict[str, Any]] = json.load(handle)["features"]
    return features


def _unit(kind: Literal["kecamatan", "desa"], feature: dict[str, Any]) -> _Unit:
    props = feature["properties"]
    geometry = shape(feature["geometry"])
    prepare(geometry)
    interior = geometry.representative_point()
    aliases: set[str] = set()
    for value in [props["nama"], *props.get("nama_alias", [])]:
        aliases |= _name_variants(value)
    if props.get("nama_bps"):
        aliases |= _name_variants(props["nama_bps"])
    return _Unit(
        kind=kind,
        nama=props["nama"],
        kode=props["kode"],
        kecamatan=props["nama"] if kind == "kecamatan" else props["kecamatan"],
        geometry=geometry,
        interior_lat=round(float(interior.y), 6),
        interior_lon=round(float(interior.x), 6),
        aliases=tuple(sorted(aliases)),
    )


def _ambiguity(unit: _Unit, alias: str) -> int:
    if unit.kind == "kecamatan":
        return 0
    if alias in _GENERIC_PHRASES:
        return 2
    if alias in _AMBIGUOUS_WORDS or len(alias.replace(" ", "")) <= 4:
        return 1
    return 0


@functools.lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    kecamatan = tuple(
        sorted(
            (_unit("kecamatan", f) for f in _read_geojson("balangan_kecamatan.geojson")),
            key=lambda u: u.kode,
        )
    )
    desa = tuple(
        sorted(
            (_unit("desa", f) for f in _read_geojson("balangan_desa.geojson")), key=lambda u: u.kode
        )
    )
    names = tuple(
        _Name(
            key=alias.replace(" ", ""),
            n_tokens=len(alias.split()),
            unit=unit,
            ambiguity=_ambiguity(unit, alias),
        )
        for unit in (*kecamatan, *desa)
        for alias in unit.aliases
    )
    boundary = unary_union([unit.geometry for unit in kecamatan])
    prepare(boundary)
    return _Gazetteer(
        kecamatan=kecamatan,
        desa=desa,
        desa_tree=STRtree([unit.geometry for unit in desa]),
        kecamatan_tree=STRtree([unit.geometry for unit in kecamatan]),
        boundary=boundary,
        names=names,
        keys=tuple(name.key for name in names),
    )


def preload() -> None:
    """Load the polygons and the name index now (call once at process start-up)."""
    _gazetteer()


def list_places() -> tuple[Place, ...]:
    """Return every kecamatan and desa/kelurahan of Balangan, ordered by code.

    Returns:
        One :class:`Place` per unit (kecamatan have ``desa=None``), with interior points.
    """
    gaz = _gazetteer()
    return tuple(unit.place() for unit in sorted((*gaz.kecamatan, *gaz.desa), key=lambda u: u.kode))


def _first_hit(tree: STRtree, units: Sequence[_Unit], point: Point) -> _Unit | None:
    hits = tree.query(point, predicate="intersects")
    if len(hits) == 0:
        return None
    # A point exactly on a shared border touches two units; the lowest code wins, so the
    # answer is stable across runs.
    return units[int(min(hits))]


def is_inside_balangan(lat: float, lon: float) -> bool:
    """Tell whether a coordinate lies in Kabupaten Balangan (border included).

    Args:
        lat: Latitude (WGS84).
        lon: Longitude (WGS84).

    Returns:
        True inside the union of the kecamatan polygons.
    """
    return bool(_gazetteer().boundary.intersects(Point(lon, lat)))


# Two decimal degrees: "-2.4254, 115.6082", "?q=-2.4254,115.6082", "/@-2.4254,115.6082,17z",
# "query=-2.4254%2C115.6082" (a Google Maps link, its comma URL-encoded). Three decimals at
# least, so that prices, dates or "2,5 km" are never coordinates.
_DECIMAL_PAIR: Final = re.compile(
    r"(?<![\w.])(-?\d{1,2}\.\d{3,})\s*(?:,|%2c|\s)\s*(-?\d{1,3}\.\d{3,})(?![\d])", re.IGNORECASE
)
# Degrees, minutes and seconds as Google Maps copies them: 2°25'31.4"S 115°36'29.6"E.
_DMS_PAIR: Final = re.compile(
    r"(\d{1,2})\s*°\s*(\d{1,2})\s*['\u2032]\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:\"|\u2033|'')?\s*([NSUL])"
    r"[\s,]*(\d{1,3})\s*°\s*(\d{1,2})\s*['\u2032]\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:\"|\u2033|'')?\s*([EWTB])",
    re.IGNORECASE,
)


def typed_coordinates(text: str) -> tuple[float, float] | None:
    """Latitude and longitude typed or pasted in a message, e.g. a Google Maps link.

    People who cannot find WhatsApp's location button copy the coordinates or the link
    from Google Maps. Decimal degrees (latitude first, as Google Maps shows them) and
    degrees-minutes-seconds ("2°25'31.4"S 115°36'29.6"E"; S/U/N, E/T/B/W) are read; a short
    link (maps.app.goo.gl/…) holds no coordinates and is not read.

    Returns:
        ``(latitude, longitude)``, or None when the text holds no valid pair.
    """
    dms = _DMS_PAIR.search(text)
    if dms is not None:
        parts = dms.groups()
        lat = int(parts[0]) + int(parts[1]) / 60 + float(parts[2].replace(",", ".")) / 3600
        lon = int(parts[4]) + int(parts[5]) / 60 + float(parts[6].replace(",", ".")) / 3600
        # South (Selatan) and West (Barat) are negative; U = utara, T = timur.
        lat = -lat if parts[3].upper() == "S" else lat
        lon = -lon if parts[7].upper() in ("W", "B") else lon
        return (lat, lon) if abs(lat) <= 90 and abs(lon) <= 180 else None
    for match in _DECIMAL_PAIR.finditer(text):
        lat, lon = float(match.group(1)), float(match.group(2))
        if abs(lat) <= 90 and abs(lon) <= 180:
            return lat, lon
    return None


_LINK_PLACE_NAME: Final = re.compile(r"/maps/place/([^/@?#]+)", re.IGNORECASE)


@dataclass(frozen=True)
class MapLink:
    """A Google Maps link that holds no coordinates (a short link cannot be opened offline).

    Attributes:
        link: The link as pasted.
        rest: The message without the link ("di sini min").
        place_name: The place name a long link spells ("Pasar Paringin" in
            ``google.com/maps/place/Pasar+Paringin``), or "".
    """

    link: str
    rest: str
    place_name: str


def unreadable_map_link(text: str) -> MapLink | None:
    """A Google Maps link in ``text`` whose point cannot be read here, or None.

    A link with coordinates is read by :func:`typed_coordinates`; a short link
    (``maps.app.goo.gl/…``) only redirects, and nothing here follows links: the citizen must
    share the location another way.
    """
    if not text or typed_coordinates(text) is not None:
        return None
    match = MAP_LINK.search(text)
    if match is None:
        return None
    named = _LINK_PLACE_NAME.search(match.group(0))
    place_name = urllib.parse.unquote_plus(named.group(1)).strip() if named else ""
    rest = re.sub(r"\s+", " ", text[: match.start()] + " " + text[match.end() :]).strip()
    return MapLink(link=match.group(0), rest=rest, place_name=place_name)


@functools.lru_cache(maxsize=1)
def _shared_desa_names() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Desa names that two or more kecamatan share: the name as spelled, and those kecamatan."""
    kecamatan: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for place in list_places():
        if place.desa is not None:
            kecamatan.setdefault(place.desa.lower(), []).append(place.kecamatan)
            spelled.setdefault(place.desa.lower(), place.desa)
    return {name: (spelled[name], tuple(sorted(k))) for name, k in kecamatan.items() if len(k) > 1}


def shared_desa(text: str) -> tuple[str, tuple[str, ...]] | None:
    """The desa name several kecamatan share that the text gives, and those kecamatan.

    "desa Galumbang" is ``("Galumbang", ("Juai", "Paringin Selatan"))``; None when the text
    names no shared desa.
    """
    joined = " ".join(_normalise(text))
    for name, (desa, kecamatan) in _shared_desa_names().items():
        if re.search(rf"\b{re.escape(name)}\b", joined):
            return desa, kecamatan
    return None


def kecamatan_sharing_desa(text: str) -> tuple[str, ...]:
    """The kecamatan that share a desa name the text gives ("desa Galumbang": two of them).

    :func:`resolve_place` finds no place in such a text unless the kecamatan is said too;
    this tells the form to ask which kecamatan instead of saying nothing was found.

    Returns:
        The kecamatan names (two or more), or ``()`` when the text names no shared desa.
    """
    shared = shared_desa(text)
    return shared[1] if shared is not None else ()


def locate_point(lat: float, lon: float) -> Place | None:
    """Find the kecamatan and desa of a shared location pin.

    Args:
        lat: Latitude (WGS84).
        lon: Longitude (WGS84).

    Returns:
        The place with the pin's own coordinates, or ``None`` outside Balangan.
    """
    gaz = _gazetteer()
    point = Point(lon, lat)
    kecamatan = _first_hit(gaz.kecamatan_tree, gaz.kecamatan, point)
    if kecamatan is None:
        return None
    desa = _first_hit(gaz.desa_tree, gaz.desa, point)
    if desa is not None and desa.kecamatan != kecamatan.nama:
        # Only possible on a border line; keep the pair consistent.
        desa = None
    return Place(
        kecamatan=kecamatan.nama,
        desa=desa.nama if desa is not None else None,
        kode=(desa or kecamatan).kode,
        latitude=lat,
        longitude=lon,
    )


@dataclass(frozen=True)
class _Candidate:
    name: _Name
    score: float
    start: int
    end: int
    cue: int  # 2 after "desa"/"kelurahan", 1 after "di"/"dekat"…, 0 otherwise

    @property
    def unit(self) -> _Unit:
        return self.name.unit

    @property
    def length(self) -> int:
        return self.end - self.start

    def contains(self, other: _Candidate) -> bool:
        return (
            self.start <= other.start
            and other.end <= self.end
            and (self.length > other.length or len(self.name.key) > len(other.name.key))
        )


def _min_score(key_length: int) -> float:
    if key_length <= 4:
        return 100.0
    if key_length <= 6:
        return 90.0  # one missing or extra letter, no substitutions
    if key_length <= 9:
        return 85.0
    return 80.0


def _windows(tokens: Sequence[str]) -> list[tuple[int, int, str]]:
    return [
        (start, start + size, "".join(tokens[start : start + size]))
        for start in range(len(tokens))
        for size in range(1, _MAX_WINDOW + 1)
        if start + size <= len(tokens)
    ]


def _cue_before(tokens: Sequence[str], start: int) -> int:
    if start == 0:
        return 0
    previous = tokens[start - 1]
    if previous in _STRONG_CUES:
        return 2
    return 1 if previous in _WEAK_CUES else 0


def _candidates(tokens: Sequence[str], gaz: _Gazetteer) -> list[_Candidate]:
    windows = _windows(tokens)
    if not windows:
        return []
    scores = process.cdist(
        [text for _, _, text in windows], gaz.keys, scorer=fuzz.ratio, score_cutoff=80, workers=1
    )
    best: dict[tuple[str, str], _Candidate] = {}
    for w_index, n_index in zip(*scores.nonzero(), strict=True):
        start, end, text = windows[int(w_index)]
        name = gaz.names[int(n_index)]
        score = float(scores[w_index, n_index])
        size = end - start
        if not max(1, name.n_tokens - 1) <= size <= name.n_tokens + 1:
            continue
        exact = text == name.key
        if not exact:
            # Typos change a length by a letter or two; a much shorter window is another word
            # ("lampihong" is not "lampihong kiri").
            if abs(len(text) - len(name.key)) > (1 if len(name.key) <= 8 else 2):
                continue
            if score < _min_score(len(name.key)) or text[0] != name.key[0]:
                continue
            if text in _COMMON_WORDS or name.ambiguity:
                continue
        candidate = _Candidate(name, score, start, end, _cue_before(tokens, start))
        slot = (name.unit.kind, name.unit.kode)
        current = best.get(slot)
        # A name said twice keeps its best mention: "puskesmas Juai, desa Juai" is the village
        # because of the second "Juai", whatever comes first.
        if current is None or _mention_rank(candidate) > _mention_rank(current):
            best[slot] = candidate
    return list(best.values())


def _mention_rank(candidate: _Candidate) -> tuple[float, int, int, int]:
    """Which of two mentions of one unit counts: the better spelt, then the better cued."""
    return (candidate.score, candidate.cue, -candidate.length, -candidate.start)


def _drop_contained(candidates: list[_Candidate]) -> list[_Candidate]:
    # "paringin selatan" also contains "paringin"; the longer name is the one meant.
    return [
        c
        for c in candidates
        if not any(o is not c and o.contains(c) and o.score >= c.score - 5 for o in candidates)
    ]


def _only_place_words(tokens: Sequence[str], candidate: _Candidate) -> bool:
    rest = [*tokens[: candidate.start], *tokens[candidate.end :]]
    return all(token in _FILLER for token in rest)


def _acceptable(
    candidate: _Candidate,
    tokens: Sequence[str],
    mentioned_kecamatan: set[str],
    assume_place: bool,
) -> bool:
    required = candidate.name.ambiguity
    if required == 0:
        return True
    if candidate.unit.kecamatan in mentioned_kecamatan and candidate.unit.kind == "desa":
        return True
    if assume_place and _only_place_words(tokens, candidate):
        return True
    return candidate.cue >= required


def resolve_place(text: str, *, assume_place: bool = False) -> Place | None:
    """Find a kecamatan or desa/kelurahan of Balangan named in free text.

    Matching tolerates typos and spacing ("paringen", "btu mandi", "batumandi") and prefers the
    longest name ("Paringin Selatan" is not "Paringin"). A desa wins over a kecamatan when both
    match, except when the desa carries the kecamatan's own name ("batumandi") and the text does
    not say "desa"/"kelurahan". Desa names that are ordinary words ("Baru", "Merah", "Binjai")
    count only after "desa"/"kelurahan"/"di" or when the text also names their kecamatan.

    Args:
        text: Free text, e.g. ``"depan pasar lampihong"``.
        assume_place: The text answers a "where?" question, so a bare ambiguous name ("Baru")
            counts when nothing else is in the text.

    Returns:
        The place with an interior point of the unit, or ``None`` when no name matches or a
        desa name is shared by two kecamatan and the text does not say which.
    """
    tokens = _normalise(text)
    if not tokens:
        return None
    found = _resolve(tokens, assume_place=assume_place, explicit=False)
    return found[0].unit.place() if found else None


@dataclass(frozen=True)
class PlaceMention:
    """A place named explicitly in a longer message, and where the message names it.

    Attributes:
        place: The place.
        start: Offset in the message of the first character of the words that name it.
        end: Offset just after the last of those words (a kecamatan said right after the
            desa, "desa Halong kecamatan Halong", is included).
    """

    place: Place
    start: int
    end: int


# Words before a name that make it where someone lives or comes from, not where something
# happened ("saya warga desa Halong", "asal Awayan").
_RESIDENCE_WORDS = frozenset(
    {"warga", "dari", "asal", "penduduk", "tinggal", "domisili", "urang", "orang", "wong"}
)
_ADDRESS_WORDS = frozenset({"rt", "rw", "no", "nomor", "gang", "gg"})
_NEARBY_KECAMATAN_TOKENS = 3


def find_place_mention(text: str) -> PlaceMention | None:
    """The place a message names explicitly, for a message that is not an answer to "where?".

    Stricter than :func:`resolve_place`: a desa whose name is an ordinary word counts only
    after "desa"/"kelurahan" or beside its kecamatan (never after a bare "di"); a misspelt
    name only after a cue word ("di", "desa", "kecamatan" …); two different desa, or a name
    said as where someone lives ("warga desa …", "dari …"), give nothing; a name shared by
    desa of two kecamatan gives nothing unless the kecamatan is said; the name of a kecamatan
    is the kecamatan ("pasar Halong"), its seat desa only after "desa"/"kelurahan".

    Args:
        text: A whole message, e.g. ``"ada balap liar di jalan A. Yani Paringin tadi malam"``.

    Returns:
        The place and the offsets of its words in ``text``, or ``None``.
    """
    tokens = _normalise(text)
    spans = _token_spans(text)
    if not tokens or len(spans) != len(tokens):
        return None
    found = _resolve(tokens, assume_place=False, explicit=True)
    if not found:
        return None
    start = min(c.start for c in found)
    end = max(c.end for c in found)
    return PlaceMention(found[0].unit.place(), spans[start][0], spans[end - 1][1])


def _token_spans(text: str) -> list[tuple[int, int]]:
    """Offsets in ``text`` of the tokens :func:`_normalise` makes of it.

    The caller checks that there are as many.
    """
    return [
        (m.start(), m.end())
        for m in re.finditer(r"[A-Za-z0-9'’`]+", text)
        if re.search(r"[A-Za-z0-9]", m[0])
    ]


def _explicitly_acceptable(
    candidate: _Candidate, tokens: Sequence[str], mentioned_kecamatan: set[str]
) -> bool:
    if (
        candidate.score < 100
        and candidate.cue < 2
        and not _kecamatan_cue_before(tokens, candidate.start)
    ):
        # A slip is read only after "desa"/"kecamatan": "simpang, urang" is no "Simpang Nadong".
        return False
    # "saya warga RT 04 Kelurahan Paringin Kota": the address words between do not count.
    before = [
        t
        for t in tokens[max(0, candidate.start - 5) : candidate.start]
        if t not in _FILLER and t not in _ADDRESS_WORDS and not t.isdigit()
    ]
    if before and before[-1] in _RESIDENCE_WORDS:
        return False
    if candidate.unit.kind == "kecamatan" or candidate.name.ambiguity == 0:
        return True
    return candidate.cue == 2 or (
        candidate.unit.kind == "desa" and candidate.unit.kecamatan in mentioned_kecamatan
    )


def _mentioned_in(hits: Iterable[_Candidate]) -> set[str]:
    """The kecamatan the candidates name."""
    return {c.unit.kecamatan for c in hits}


def _kecamatan_cue_before(tokens: Sequence[str], start: int) -> bool:
    return start > 0 and tokens[start - 1] in _KECAMATAN_CUES


def _resolve(
    tokens: Sequence[str], *, assume_place: bool, explicit: bool
) -> list[_Candidate] | None:
    """The mention of the place named in ``tokens``, first, with the kecamatan said beside it.

    ``explicit``: the text is not an answer to "where?" (see :func:`find_place_mention`).
    """
    gaz = _gazetteer()
    raw = _candidates(tokens, gaz)
    # A window that spells one name exactly is not a typo of another ("lok batu" is not
    # "lok batung"), even when the exact name is later rejected as ambiguous.
    exact_spans = {(c.start, c.end) for c in raw if c.score >= 100}
    raw = [
        c
        for c in raw
        if c.score >= 100 or not any(s <= c.start and c.end <= e for s, e in exact_spans)
    ]
    mentioned = {
        c.unit.kecamatan for c in _drop_contained([c for c in raw if c.unit.kind == "kecamatan"])
    }
    if explicit:
        # "di Lampihong kami" is Lampihong, not a slip for "Lampihong Kanan".
        acceptable = [
            c
            for c in raw
            if _explicitly_acceptable(c, tokens, mentioned)
            and (c.score >= 100 or not any(c.start <= s and e <= c.end for s, e in exact_spans))
        ]
    else:
        acceptable = [
            c
            for c in raw
            if c.unit.kind == "kecamatan" or _acceptable(c, tokens, mentioned, assume_place)
        ]
    survivors = _drop_contained(_without_directions(tokens, acceptable))
    kecamatan_hits = [c for c in survivors if c.unit.kind == "kecamatan"]

    desa_hits = [c for c in survivors if c.unit.kind == "desa"]
    # "karuh batu mandi": the words that name the kecamatan are not also desa Batumandi when
    # another desa is named beside them.
    kecamatan_words = [
        c
        for c in desa_hits
        if c.cue < 2
        and any(
            k.unit.nama == c.unit.kecamatan and (k.start, k.end) == (c.start, c.end)
            for k in kecamatan_hits
        )
    ]
    if len(kecamatan_words) < len(desa_hits):
        desa_hits = [c for c in desa_hits if c not in kecamatan_words]
    if explicit and len({c.unit.nama for c in desa_hits}) > 1:
        # Two villages in one message: which one is the incident's is for the citizen to say.
        return None
    desa = _best_desa(desa_hits, mentioned)
    if desa is not None:
        same_named = [
            k
            for k in kecamatan_hits
            if k.unit.nama == desa.unit.kecamatan
            and ((k.start, k.end) == (desa.start, desa.end) or k.contains(desa))
        ]
        if same_named and desa.cue < 2 and (explicit or not _town_landmark(tokens, same_named[0])):
            # "batumandi" alone means the kecamatan; "desa batumandi" means the village. In a
            # story, "jalan Awayan" or "pasar Halong" may be anywhere in the kecamatan too.
            return [same_named[0]]
        if explicit and kecamatan_hits and desa.unit.kecamatan not in _mentioned_in(kecamatan_hits):
            # "desa Baru kecamatan Paringin": Baru lies in Awayan; which is meant is unclear.
            return None
        beside = [
            k
            for k in kecamatan_hits
            if k.unit.nama == desa.unit.kecamatan
            and k.start - desa.end <= _NEARBY_KECAMATAN_TOKENS
            and desa.start - k.end <= _NEARBY_KECAMATAN_TOKENS
        ]
        return [desa, *beside]
    if explicit and len({c.unit.nama for c in kecamatan_hits}) > 1:
        return None
    if kecamatan_hits:
        best = max(kecamatan_hits, key=lambda c: (c.score, c.length, -c.start))
        return [best]
    return None


def _toward(tokens: Sequence[str], start: int) -> bool:
    """Whether the name at ``start`` follows "arah (ke)", "menuju", "jurusan" (a direction)."""
    index = start - 1
    while index >= 0 and tokens[index] in _FILLER:
        index -= 1
    if index >= 0 and tokens[index] in _TO_WORDS:
        index -= 1
    return index >= 0 and tokens[index] in _TOWARD_WORDS


def _without_directions(tokens: Sequence[str], hits: list[_Candidate]) -> list[_Candidate]:
    """Drops the names said as a direction when the text also names a place outright.

    "200 meter dari masjid agung Paringin arah ke Juai" is in Paringin; "jalan arah ke Juai"
    alone still means Juai.
    """
    direction = [c for c in hits if _toward(tokens, c.start)]
    if not direction or len(direction) == len(hits):
        return hits
    return [c for c in hits if c not in direction]


def _town_landmark(tokens: Sequence[str], kecamatan: _Candidate) -> bool:
    """Whether a name shared by a kecamatan and its seat desa is said as a town's landmark.

    "pasar Halong", "depan SDN 1 Batumandi", "terminal Juai" are in the town, the desa that
    gave the kecamatan its name; "Halong", "di Halong" or "kecamatan Halong" name the
    kecamatan.
    """
    if kecamatan.start > 0 and tokens[kecamatan.start - 1] in _KECAMATAN_CUES:
        return False
    return not _only_place_words(tokens, kecamatan)


def _best_desa(hits: Iterable[_Candidate], mentioned: set[str]) -> _Candidate | None:
    def rank(c: _Candidate) -> tuple[int, int, float, int, int]:
        return (c.cue == 2, c.unit.kecamatan in mentioned, c.score, c.length, -c.start)

    ranked = sorted(hits, key=rank, reverse=True)
    if not ranked:
        return None
    top = ranked[0]
    if len(ranked) > 1 and rank(ranked[1]) == rank(top) and ranked[1].unit.nama == top.unit.nama:
        # The same name in two kecamatan (Galumbang) with nothing to tell them apart.
        return None
    return top
