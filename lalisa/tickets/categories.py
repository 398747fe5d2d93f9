"""Complaint categories: canonical ids (fixed in PRODUCT.md) and their Bahasa Indonesia labels.

The ids are the values of the NLU ``category`` entity and of ``tickets.category``;
the labels are what citizens and officers read. Keeping the two apart lets the
wording change without a migration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

CATEGORY_LABELS: dict[str, str] = {
    "pkl": "Pedagang kaki lima (PKL) di tempat terlarang",
    "reklame_liar": "Reklame/spanduk/baliho liar",
    "miras": "Minuman keras (miras/tuak)",
    "peminta_sumbangan": "Peminta sumbangan liar",
    "asusila": "Perbuatan asusila / warung remang-remang",
    "hiburan_malam": "Tempat hiburan malam",
    "ramadan": "Pelanggaran ketertiban bulan Ramadan",
    "balap_liar": "Balap liar",
    "keributan": "Keributan / perkelahian",
    "kebisingan": "Kebisingan",
    "odgj": "ODGJ (orang dengan gangguan jiwa) meresahkan",
    "gepeng": "Gelandangan dan pengemis (gepeng)",
    "sampah": "Sampah / pembuangan sampah sembarangan",
    "ternak_lepas": "Ternak lepas",
    "bangunan_liar": "Bangunan liar",
    "parkir_liar": "Parkir liar",
    "fasum_rusak": "Perusakan fasilitas umum",
    "lainnya": "Lainnya",
}

FALLBACK_CATEGORY = "lainnya"

# Button titles (WhatsApp allows 20 characters on a reply button, 24 on a list row).
CATEGORY_BUTTON_TITLES: dict[str, str] = {
    "pkl": "PKL",
    "reklame_liar": "Reklame/baliho liar",
    "miras": "Miras / tuak",
    "peminta_sumbangan": "Minta sumbangan",
    "asusila": "Asusila",
    "hiburan_malam": "Hiburan malam",
    "ramadan": "Ketertiban Ramadan",
    "balap_liar": "Balap liar",
    "keributan": "Keributan",
    "kebisingan": "Kebisingan",
    "odgj": "ODGJ",
    "gepeng": "Gepeng / pengemis",
    "sampah": "Sampah",
    "ternak_lepas": "Ternak lepas",
    "bangunan_liar": "Bangunan liar",
    "parkir_liar": "Parkir liar",
    "fasum_rusak": "Fasum rusak",
    "lainnya": "Lainnya",
}

FIRST_PAGE_CATEGORIES: Final = (
    "pkl",
    "miras",
    "keributan",
    "kebisingan",
    "balap_liar",
    "sampah",
    "ternak_lepas",
    "gepeng",
)
"""The categories of the first list, commonest first (those the old single list offered, as
reported to Satpol PP Balangan and similar offices; ``docs/CONTRACTS.md``)."""

MORE_CATEGORIES: Final = "semua_jenis"
"""The value of the ``category`` entity of the row that opens the rest of the categories."""

MORE_CATEGORIES_TITLE: Final = "Lihat semua jenis"
MORE_CATEGORIES_DESCRIPTION: Final = "Jenis pelanggaran yang tidak ada di daftar ini"


def second_page_categories() -> list[str]:
    """The categories not on the first list ("lainnya" apart), in the order of the labels."""
    return [
        category
        for category in CATEGORY_LABELS
        if category not in FIRST_PAGE_CATEGORIES and category != FALLBACK_CATEGORY
    ]


def _category_payload(category: str) -> str:
    return f'/report_complaint{{"category": "{category}"}}'


def category_buttons(categories: Iterable[str]) -> list[dict[str, str]]:
    """Buttons that choose a category (Rasa button dicts: title and payload)."""
    return [
        {"title": CATEGORY_BUTTON_TITLES[category], "payload": _category_payload(category)}
        for category in categories
        if category in CATEGORY_BUTTON_TITLES
    ]


def category_list_buttons(page: str | None = None) -> list[dict[str, str]]:
    """The whole category list, in two pages of at most 10 rows (WhatsApp's limit for a list).

    The first page holds the commonest categories, a row that opens the second page and
    "Lainnya"; the second page holds every other category and "Lainnya", so that every
    category can be chosen. Each row shows the category's full label as its description
    (a list row's second line; REST clients may ignore it).

    Args:
        page: ``"more"`` for the second page; anything else is the first.

    Returns:
        Rasa button dicts (title, payload, description).
    """
    if page == "more":
        categories = [*second_page_categories(), FALLBACK_CATEGORY]
    else:
        categories = [*FIRST_PAGE_CATEGORIES, FALLBACK_CATEGORY]
    buttons = [
        {**button, "description": CATEGORY_LABELS[category]}
        for category, button in zip(categories, category_buttons(categories), strict=True)
    ]
    if page != "more":
        more = {
            "title": MORE_CATEGORIES_TITLE,
            "payload": _category_payload(MORE_CATEGORIES),
            "description": MORE_CATEGORIES_DESCRIPTION,
        }
        buttons.insert(len(buttons) - 1, more)
    return buttons


CATEGORY_CONFIDENCE_THRESHOLD: Final = 0.45
"""Below this probability the classifier's category is not taken: the citizen is asked to
choose among the likeliest ones. 0.45 is the lowest threshold at which the categories taken
were right at least 99.5 % of the time in 5-fold cross-validation of the training complaints
(`scripts/calibrate_nlu.py`; docs/nlu.md, "Measurements", and docs/CONTRACTS.md): about 8 % of
complaints get the question, against 11 % at 0.5, for no measured loss of precision beyond one
complaint in 355. Never tuned on the hold-out."""

CATEGORY_LEAD: Final = 2.0
"""A category above the threshold is still not taken when the runner-up has more than half its
probability: two categories that close are a choice for the citizen, not for the classifier
("tampat hiburan malam ribut banar": keributan 0.45 against hiburan_malam 0.32, where Banjar
"ribut" means noisy). In 5-fold cross-validation of the training complaints (two seeds) it asks
about 2 complaints in 734 more than the threshold alone and takes one wrong category fewer
(precision of the categories taken 0.9955 -> 0.9970); most new wordings that fool the classifier
do so between two neighbouring categories (kebisingan/balap_liar/keributan/hiburan_malam)."""

MAX_CATEGORY_CHOICES: Final = 3

RANKED_MIN_CONFIDENCE: Final = 0.3
RANKED_LEAD: Final = 2.0
RANKED_MAX_NONE: Final = 0.5
"""When no entity was emitted, the ranking's top category is read (as the answer to "which
kind?") only when it has at least ``RANKED_MIN_CONFIDENCE`` among the categories, at least
``RANKED_LEAD`` times the runner-up's, and the message more likely names a category than not
(``none_confidence`` below ``RANKED_MAX_NONE``): "orng ganguan jwa" (odgj 0.32, runner-up 0.08,
none 0.30) is read; "karoke" (0.14 against 0.13, none 0.55) is not."""


@dataclass(frozen=True)
class CategoryGuess:
    """The classifier's reading of a message.

    Attributes:
        value: The best category id.
        confidence: Its probability, or None when it came from a button (certain).
        ranking: The likeliest categories, best first (at least ``value``).
        runner_up: The probability of the likeliest other category (0 when unknown).
    """

    value: str
    confidence: float | None
    ranking: tuple[str, ...]
    runner_up: float = 0.0

    @property
    def confident(self) -> bool:
        """Whether the category can be taken without asking.

        It must reach :data:`CATEGORY_CONFIDENCE_THRESHOLD` and lead the runner-up by
        :data:`CATEGORY_LEAD` times its probability.
        """
        if self.confidence is None:
            return True
        return (
            self.confidence >= CATEGORY_CONFIDENCE_THRESHOLD
            and self.confidence >= CATEGORY_LEAD * self.runner_up
        )

    def choices(self) -> list[str]:
        """The two or three categories to offer as buttons (never "lainnya", added apart)."""
        ids = [c for c in self.ranking if is_known_category(c) and c != FALLBACK_CATEGORY]
        return list(dict.fromkeys(ids))[:MAX_CATEGORY_CHOICES]


def _ranking(entity: Mapping[str, Any], value: str) -> tuple[tuple[str, ...], float]:
    """The ranked category ids (``value`` first) and the runner-up's probability."""
    info = entity.get("additional_info")
    ranked: list[str] = [value]
    runner_up = 0.0
    items = info.get("ranking") if isinstance(info, Mapping) else None
    if isinstance(items, Iterable) and not isinstance(items, (str, bytes)):
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("value"), str):
                ranked.append(item["value"])
                probability = item.get("confidence")
                if item["value"] != value and isinstance(probability, (int, float)):
                    runner_up = max(runner_up, float(probability))
    return tuple(dict.fromkeys(ranked)), runner_up


def read_category_entity(entities: Iterable[Mapping[str, Any]]) -> CategoryGuess | None:
    """The category the NLU found in a message, with its confidence and runner-up ranking.

    Args:
        entities: The message's entities. The classifier's ``category`` entity carries
            ``confidence`` and, when available, ``additional_info.ranking``
            (``[{"value": "pkl", "confidence": 0.71}, ...]``); a button payload's entity
            carries neither and is taken as certain.

    Returns:
        The guess, or None when the message has no known category.
    """
    for entity in reversed(list(entities)):
        if entity.get("entity") != "category":
            continue
        value = entity.get("value")
        if not isinstance(value, str) or not is_known_category(value):
            continue
        confidence = entity.get("confidence")
        if not isinstance(confidence, (int, float)):
            # A button payload (or a hand-written entity): the citizen chose it.
            return CategoryGuess(value, None, (value,))
        ranked, runner_up = _ranking(entity, value)
        return CategoryGuess(value, float(confidence), ranked, runner_up)
    return None


def read_category_ranking(parse: Any) -> CategoryGuess | None:
    """The category a message's ``category_ranking`` points to clearly, when no entity did.

    The classifier emits an entity for a message of another intent only when one category
    dominates outright; an answer typed at the form's question "Apa jenis pelanggarannya?" with
    a slip ("orng ganguan jwa") falls short of that but still ranks one category far ahead
    (docs/CONTRACTS.md, "Category ranking": read the entity first, then ``category_ranking``).

    Args:
        parse: The ``category_ranking`` value of the parse data:
            ``{"ranking": [{"value": …, "confidence": …}, …], "none_confidence": …}``.

    Returns:
        The guess (its confidence decides whether it is taken or offered), or None when the
        ranking is missing or no category is clearly ahead.
    """
    if not isinstance(parse, Mapping):
        return None
    entries = parse.get("ranking")
    none = parse.get("none_confidence")
    if not isinstance(entries, list) or not isinstance(none, (int, float)):
        return None
    ranked: list[tuple[str, float]] = [
        (entry["value"], float(entry["confidence"]))
        for entry in entries
        if isinstance(entry, Mapping)
        and is_known_category(entry.get("value"))
        and isinstance(entry.get("confidence"), (int, float))
    ]
    if not ranked or none >= RANKED_MAX_NONE:
        return None
    value, confidence = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if confidence < RANKED_MIN_CONFIDENCE or confidence < RANKED_LEAD * runner_up:
        return None
    return CategoryGuess(value, confidence, tuple(label for label, _ in ranked), runner_up)


def category_label(category: str | None) -> str:
    """Returns the Bahasa Indonesia label of a category id.

    Args:
        category: A canonical category id, or None.

    Returns:
        The label; unknown ids are shown as "Lainnya" rather than as a raw id.
    """
    if category is None:
        return CATEGORY_LABELS[FALLBACK_CATEGORY]
    return CATEGORY_LABELS.get(category, CATEGORY_LABELS[FALLBACK_CATEGORY])


def is_known_category(category: str | None) -> bool:
    """Tells whether ``category`` is one of the canonical ids."""
    return category in CATEGORY_LABELS
