"""Personas: a simulated citizen's goal, style, agenda and expected ticket, read from YAML.

A persona file holds ``personas:``, a list of mappings (see ``personas/README.md`` for the
format). Everything is checked on load: names of kecamatan and desa against the shipped
gazetteer, categories against the canonical ids, and that pins and photos are only asked of
WhatsApp personas (the REST channel cannot carry them).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lalisa.tickets.categories import CATEGORY_LABELS

PERSONA_DIR = Path(__file__).resolve().parent / "personas"
HALVES = (
    "dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10", "dev11",
    "dev12", "dev13", "dev14", "dev15", "holdout",
)  # fmt: skip
DEV_HALVES = tuple(half for half in HALVES if half != "holdout")
"""Halves whose transcripts are read while fixing: ``dev``, and ``dev2`` … ``dev15``, further
authors' sets, each written independently of the earlier sets and of
``data/``. ``holdout`` is never read."""
OPENING_MEDIA = ("[photo]", "[sticker]", "[pin]", "[voice]")
"""Opening turns that send media instead of text (WhatsApp only): a photo, a sticker, the
persona's pin or a voice note first. ``"[photo] some words"`` sends a photo with those words as
its caption. ``"[pin -2.17,115.38 label]"`` shares a pin at those coordinates (a place outside
the gazetteer, such as a neighbouring kabupaten)."""

PIN_AT = re.compile(r"^\[pin (-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)(?: ([^\]]+))?\]$")
"""A pin at explicit coordinates: latitude, longitude and an optional label."""


def is_media_turn(turn: str) -> bool:
    """True for a turn that sends media: a photo (captioned or not), a sticker, a pin, a voice."""
    return turn in OPENING_MEDIA or turn.startswith("[photo] ") or bool(PIN_AT.match(turn))


STYLES = ("formal", "slang", "banjar")
CHANNELS = ("rest", "whatsapp")
GEO_DIR = Path(__file__).resolve().parents[2] / "lalisa" / "places" / "data" / "geo"

FACT_FIELDS = ("category", "story", "place", "time", "photos", "name")
"""The facts a citizen can be asked for, and can correct."""

AGENDA_MOMENTS = ("before", "after", "at")
AFTER_TICKET = "ticket"
"""``after: ticket``: a message right after the ticket number came ("sudah masuk?")."""
MAX_PHOTOS = 2


class PersonaError(ValueError):
    """A persona file that does not follow the format."""


@dataclass(frozen=True)
class Desa:
    """A desa/kelurahan of the gazetteer with a point inside it (for WhatsApp pins)."""

    name: str
    kecamatan: str
    latitude: float
    longitude: float


@functools.lru_cache(maxsize=1)
def gazetteer() -> tuple[tuple[str, ...], tuple[Desa, ...]]:
    """The 8 kecamatan and 157 desa/kelurahan names shipped with the assistant."""
    with (GEO_DIR / "balangan_kecamatan_centroids.csv").open(encoding="utf-8") as handle:
        kecamatan = tuple(row["nama"] for row in csv.DictReader(handle))
    with (GEO_DIR / "balangan_desa_kemendagri_bps_crosswalk.csv").open(encoding="utf-8") as handle:
        desa = tuple(
            Desa(
                name=row["nama"],
                kecamatan=row["kecamatan"],
                latitude=float(row["interior_point_lat"]),
                longitude=float(row["interior_point_lon"]),
            )
            for row in csv.DictReader(handle)
        )
    return kecamatan, desa


def find_desa(name: str, kecamatan: str | None = None) -> Desa:
    """The desa called ``name`` (in ``kecamatan`` when two share the name)."""
    matches = [
        d
        for d in gazetteer()[1]
        if d.name.lower() == name.lower()
        and (kecamatan is None or d.kecamatan.lower() == kecamatan.lower())
    ]
    if len(matches) != 1:
        where = f" in {kecamatan}" if kecamatan else ""
        raise PersonaError(f"desa {name!r}{where}: {len(matches)} matches in the gazetteer")
    return matches[0]


@dataclass(frozen=True)
class Facts:
    """What the citizen knows and answers from.

    Text facts may hold alternatives: the first is the answer, the next ones are how the
    citizen rephrases when the same question comes again.
    """

    category: tuple[str, ...] = ()
    story: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    time: tuple[str, ...] = ()
    """Empty: the citizen does not know when (and says so)."""
    name: str | None = None
    """None: the citizen prefers not to give a name."""
    photos: int = 0
    pin: Desa | None = None
    pin_label: str | None = None


@dataclass(frozen=True)
class AgendaItem:
    """Something the citizen does on their own initiative.

    ``before`` a question is asked the first time: say ``say`` first (a digression, such as
    "ini rahasia kan?"). ``after`` answering a question: send ``say`` next (a correction such
    as "eh salah, lokasinya di …"), with ``fact``/``value`` the fact it changes. ``at:
    summary``: ask for a change of ``fact`` (with ``say``, in the citizen's words, else "ubah"
    and the field when asked) and give ``value`` when the field is asked again.
    """

    moment: str
    question: str
    say: str | None = None
    fact: str | None = None
    value: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expectation:
    """What the ticket must hold for the conversation to count as a success."""

    outcome: str = "ticket"
    """``ticket`` or ``no_complaint`` (off-topic: no complaint question, no ticket)."""
    categories: tuple[str, ...] = ()
    """Accepted categories (two when both are reasonable)."""
    kecamatan: str | None = None
    desa: str | None = None
    """None: any desa (or none) in the kecamatan is right."""
    time: bool | str | None = None
    """True: a time text is stored; False: none is; None: either; a text: the stored time
    holds it (a corrected time)."""
    evidence: int = 0
    name: str | None = None
    """The reporter name stored, or None for an anonymous report."""


@dataclass(frozen=True)
class Persona:
    """One simulated citizen."""

    id: str
    half: str
    style: str
    channel: str
    opening: tuple[str, ...]
    facts: Facts
    expect: Expectation
    say: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The citizen's own wording for generic answers (``yes``, ``no_photo`` …)."""
    agenda: tuple[AgendaItem, ...] = ()
    taps: bool = True
    """Taps offered buttons/list rows; False: types the answer instead."""
    follows_hints: bool = False
    """On a repeated question, types the word the assistant says to type (*lewati*)."""
    checks_summary: bool = False
    """Reads the summary and asks to change a field that does not match the facts."""
    source: str = ""

    @property
    def off_topic(self) -> bool:
        """True for a persona whose success is that no complaint is started."""
        return self.expect.outcome == "no_complaint"


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value):
        return tuple(value)
    raise PersonaError(f"{where}: expected a text or a list of texts, got {value!r}")


def _only(mapping: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise PersonaError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _kecamatan(name: Any, where: str) -> str:
    for known in gazetteer()[0]:
        if isinstance(name, str) and name.lower() == known.lower():
            return known
    raise PersonaError(f"{where}: {name!r} is not one of the 8 kecamatan")


def _facts(raw: Mapping[str, Any], channel: str, where: str) -> Facts:
    _only(raw, (*FACT_FIELDS, "pin", "pin_label"), where)
    photos = raw.get("photos", 0)
    if not isinstance(photos, int) or not 0 <= photos <= MAX_PHOTOS:
        raise PersonaError(f"{where}: photos must be 0..{MAX_PHOTOS}")
    pin = None
    if raw.get("pin") is not None:
        pin_raw = raw["pin"]
        if isinstance(pin_raw, Mapping):
            pin = find_desa(str(pin_raw.get("desa")), pin_raw.get("kecamatan"))
        else:
            pin = find_desa(str(pin_raw))
    if (photos or pin) and channel != "whatsapp":
        raise PersonaError(f"{where}: pins and photos need channel: whatsapp")
    name = raw.get("name")
    if name is not None and not (isinstance(name, str) and name.strip()):
        raise PersonaError(f"{where}: name must be a text or null")
    return Facts(
        category=_texts(raw.get("category"), f"{where}.category"),
        story=_texts(raw.get("story"), f"{where}.story"),
        place=_texts(raw.get("place"), f"{where}.place"),
        time=_texts(raw.get("time"), f"{where}.time"),
        name=name,
        photos=photos,
        pin=pin,
        pin_label=raw.get("pin_label"),
    )


def _expectation(raw: Mapping[str, Any], where: str) -> Expectation:
    _only(raw, ("outcome", "category", "kecamatan", "desa", "time", "evidence", "name"), where)
    outcome = raw.get("outcome", "ticket")
    if outcome == "no_complaint":
        if set(raw) - {"outcome"}:
            raise PersonaError(f"{where}: an off-topic persona expects nothing but the outcome")
        return Expectation(outcome=outcome)
    if outcome != "ticket":
        raise PersonaError(f"{where}: outcome must be ticket or no_complaint")
    categories = _texts(raw.get("category"), f"{where}.category")
    if not categories or any(c not in CATEGORY_LABELS for c in categories):
        raise PersonaError(f"{where}: category must be canonical ids, got {categories!r}")
    kecamatan = _kecamatan(raw.get("kecamatan"), f"{where}.kecamatan")
    desa = raw.get("desa")
    if desa is not None:
        desa = find_desa(str(desa), kecamatan).name
    time = raw.get("time")
    if time is not None and not isinstance(time, (bool, str)):
        raise PersonaError(f"{where}: time must be true, false, a text or absent")
    evidence = raw.get("evidence", 0)
    if not isinstance(evidence, int) or evidence < 0:
        raise PersonaError(f"{where}: evidence must be a count")
    if "name" not in raw:
        raise PersonaError(f"{where}: name is required (a name, or anonymous)")
    name = raw["name"]
    if name == "anonymous":
        name = None
    elif not (isinstance(name, str) and name.strip()):
        raise PersonaError(f"{where}: name must be a text or anonymous")
    return Expectation(
        outcome=outcome,
        categories=categories,
        kecamatan=kecamatan,
        desa=desa,
        time=time,
        evidence=evidence,
        name=name,
    )


def _agenda(raw: Any, where: str) -> tuple[AgendaItem, ...]:
    from tests.conversations.reading import Question

    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PersonaError(f"{where}: agenda must be a list")
    known = {q.value for q in Question}
    items = []
    for index, entry in enumerate(raw):
        here = f"{where}[{index}]"
        if not isinstance(entry, Mapping):
            raise PersonaError(f"{here}: expected a mapping")
        _only(entry, (*AGENDA_MOMENTS, "say", "fact", "value"), here)
        moments = [m for m in AGENDA_MOMENTS if m in entry]
        if len(moments) != 1:
            raise PersonaError(f"{here}: exactly one of before/after/at")
        moment = moments[0]
        question = str(entry[moment])
        if question not in known and not (moment == "after" and question == AFTER_TICKET):
            raise PersonaError(f"{here}: unknown question {question!r}")
        fact = entry.get("fact")
        if question == AFTER_TICKET and fact is not None:
            raise PersonaError(f"{here}: nothing can be corrected after the ticket")
        if fact is not None and fact not in FACT_FIELDS:
            raise PersonaError(f"{here}: fact must be one of {', '.join(FACT_FIELDS)}")
        say = entry.get("say")
        if moment in ("before", "after") and not say:
            raise PersonaError(f"{here}: {moment} needs say")
        if moment == "at" and (question != "summary" or fact is None):
            raise PersonaError(f"{here}: at: summary with a fact to change")
        value = _texts(entry.get("value"), f"{here}.value")
        if fact is not None and fact not in ("photos", "name") and not value:
            raise PersonaError(f"{here}: a changed fact needs its new value")
        items.append(AgendaItem(moment, question, say, fact, value))
    return tuple(items)


def parse_persona(raw: Mapping[str, Any], half: str, source: str = "") -> Persona:
    """Builds a persona from its YAML mapping, checking every field.

    Raises:
        PersonaError: The mapping does not follow the format.
    """
    pid = raw.get("id")
    if not isinstance(pid, str) or not pid:
        raise PersonaError(f"{source}: a persona without id")
    where = f"{source}:{pid}"
    _only(
        raw,
        (
            "id",
            "style",
            "channel",
            "opening",
            "facts",
            "expect",
            "say",
            "agenda",
            "taps",
            "follows_hints",
            "checks_summary",
        ),
        where,
    )
    style = raw.get("style")
    if style not in STYLES:
        raise PersonaError(f"{where}: style must be one of {', '.join(STYLES)}")
    channel = raw.get("channel", "rest")
    if channel not in CHANNELS:
        raise PersonaError(f"{where}: channel must be rest or whatsapp")
    opening = _texts(raw.get("opening"), f"{where}.opening")
    if not opening:
        raise PersonaError(f"{where}: opening is required")
    if channel != "whatsapp" and any(is_media_turn(turn) for turn in opening):
        raise PersonaError(f"{where}: a photo, sticker or pin opening needs channel: whatsapp")
    agenda = _agenda(raw.get("agenda"), f"{where}.agenda")
    if channel != "whatsapp" and any(item.say and is_media_turn(item.say) for item in agenda):
        # The REST channel carries text only: media on the agenda would fail mid-conversation.
        raise PersonaError(f"{where}: media on the agenda needs channel: whatsapp")
    expect = _expectation(raw.get("expect") or {}, f"{where}.expect")
    facts = _facts(raw.get("facts") or {}, channel, f"{where}.facts")
    if "[pin]" in opening and facts.pin is None:
        raise PersonaError(f"{where}: a [pin] opening needs facts.pin")
    if expect.outcome == "ticket":
        if not (facts.category and facts.story and (facts.place or facts.pin)):
            raise PersonaError(f"{where}: a complaint needs category, story and place or pin")
        if expect.evidence != facts.photos:
            raise PersonaError(f"{where}: expect.evidence differs from facts.photos")
    say_raw = raw.get("say") or {}
    if not isinstance(say_raw, Mapping):
        raise PersonaError(f"{where}: say must be a mapping")
    for key in say_raw:
        if not isinstance(key, str):
            # A YAML 1.1 reader turns a bare ``yes:`` into True: the phrase would be kept
            # under a name the citizen never asks for and silently never sent.
            raise PersonaError(
                f"{where}.say: the key {key!r} is not text (YAML reads a bare yes, no, on, off, "
                'true or a number as a value of its own); quote it, e.g. "yes":'
            )
    say = {key: _texts(value, f"{where}.say.{key}") for key, value in say_raw.items()}
    return Persona(
        id=pid,
        half=half,
        style=style,
        channel=channel,
        opening=opening,
        facts=facts,
        expect=expect,
        say=say,
        agenda=agenda,
        taps=bool(raw.get("taps", True)),
        follows_hints=bool(raw.get("follows_hints", False)),
        checks_summary=bool(raw.get("checks_summary", False)),
        source=source,
    )


class _PersonaLoader(yaml.SafeLoader):
    """The safe YAML reader, except that a key is never read as a yes/no value.

    YAML 1.1 reads a bare ``yes:``, ``no:``, ``on:`` or ``off:`` as a boolean; as a key of a
    persona file (``say: {yes: kirim aja}``) it always means the word. Values keep the usual
    reading (``taps: false``).
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        for key_node, _ in node.value:
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.tag == "tag:yaml.org,2002:bool"
                and key_node.style is None
            ):
                key_node.tag = "tag:yaml.org,2002:str"
        return super().construct_mapping(node, deep=deep)


def load_personas(root: Path = PERSONA_DIR, halves: Iterable[str] = HALVES) -> list[Persona]:
    """Reads every persona of the given halves (``root/<half>/*.yml``), sorted by id.

    Raises:
        PersonaError: A file is malformed, or two personas share an id.
    """
    personas: list[Persona] = []
    for half in halves:
        if half not in HALVES:
            raise PersonaError(f"unknown half {half!r}")
        for path in sorted((root / half).glob("*.yml")):
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_PersonaLoader) or {}
            entries = document.get("personas") if isinstance(document, dict) else None
            if not isinstance(entries, list):
                raise PersonaError(f"{path}: expected a mapping with a personas list")
            source = f"{half}/{path.name}"
            personas.extend(parse_persona(entry, half, source) for entry in entries)
    seen: set[str] = set()
    for persona in personas:
        if persona.id in seen:
            raise PersonaError(f"duplicate persona id {persona.id!r}")
        seen.add(persona.id)
    return sorted(personas, key=lambda p: p.id)
