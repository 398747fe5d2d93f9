"""The category a citizen names right after saying they report: "mau lapor kebisingan min".

"mau lapor pkl", "saya ingin melaporkan soal miras", "ulun handak bapadah masalah sampah",
"mau menyampaikan keluhan tentang parkir liar": the citizen says which kind of problem it is
in so many words. The classifier may still call such a short announcement "no category"
(most "mau lapor …" lines name none); the word right after the reporting verb decides then.

The words of each category are the ones trainers keep in ``data/nlu/synonyms.yml`` (slang,
typos and Banjar included) plus the category's own id and list titles, so both readers grow
together. Only the phrase right after the verb counts (a few linking words such as "soal",
"tentang", "ada" may stand between): a category word further on in a story ("pas ramadan ada
anak trek-trekan") is the classifier's to weigh.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path
from typing import Final

import yaml

from lalisa.intake.readers.words import FILLERS, words
from lalisa.tickets.categories import CATEGORY_BUTTON_TITLES, CATEGORY_LABELS, FALLBACK_CATEGORY
from lalisa_common.env import REPO_ROOT

SYNONYMS_FILE: Final = REPO_ROOT / "data" / "nlu" / "synonyms.yml"

# Verbs and nouns of reporting or complaining, Indonesian, slang and Banjar.
_REPORT_VERB = re.compile(
    r"^(?:lapor|melapor|melaporkan|laporkan|laporan|lapur|malapor|bapadah|mengadu|adukan"
    r"|aduan|pengaduan|ngelapor|nglapor|ngelaporin|laporin|ngadu|ngaduin|komplain|komplen"
    r"|keluhan|keluhkan|mengeluhkan|mengeluh|ngeluh|ngeluhin"
    # What is reported, said of it: "yg mau dilaporin parkirnya", "nang handak dipadahakan".
    r"|dilapor|dilaporkan|dilaporin|dilaporakan|diadukan|dipadahakan)$"
)
# Words that may stand between the verb and the category: "lapor soal miras", "keluhan
# tentang adanya parkir liar", "bapadah masalah sampah".
_LINKING_WORDS: Final = frozenset(
    {
        "soal", "tentang", "ttg", "terkait", "mengenai", "masalah", "mslh", "perihal", "kasus",
        "ada", "adanya", "pelanggaran", "yang", "yg", "atas", "untuk", "utk", "sal", "pasal",
        "perkara", "urusan", "gangguan", "ni", "sy", "saya", "ulun", "aku", "itu", "tu", "ini",
    }
)  # fmt: skip
MAX_LINKING_WORDS: Final = 3
MAX_PHRASE_WORDS: Final = 4
MIN_FUZZY_CHARS: Final = 6
FUZZY_CUTOFF: Final = 0.85
"""A single word this close (difflib ratio) to one category word only is that word."""


def _synonyms(path: Path) -> dict[str, str]:
    """The synonym strings of ``path`` mapped to their category (empty when unreadable)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    found: dict[str, str] = {}
    for block in data.get("nlu") or []:
        value = block.get("synonym") if isinstance(block, dict) else None
        if value not in CATEGORY_LABELS or value == FALLBACK_CATEGORY:
            continue
        for line in str(block.get("examples") or "").splitlines():
            key = " ".join(words(line.strip().lstrip("-")))
            if key:
                found.setdefault(key, value)
    return found


def category_titles() -> dict[str, str]:
    """Each category's id, label and button title (and each "/" part of them), as words.

    Returns:
        The words mapped to the category id ("odgj", "pedagang kaki lima" → "pkl").
    """
    names: dict[str, str] = {}
    for category, label in CATEGORY_LABELS.items():
        titles = (category.replace("_", " "), label, CATEGORY_BUTTON_TITLES.get(category, ""))
        for title in titles:
            for part in (title, *title.split("/")):
                key = " ".join(words(part))
                if key:
                    names.setdefault(key, category)
    return names


@functools.lru_cache(maxsize=1)
def category_words() -> dict[str, str]:
    """Every phrase that names a category on its own, mapped to the category id."""
    names = _synonyms(SYNONYMS_FILE)
    for key, category in category_titles().items():
        # "Lainnya" names no kind of problem: it is what the citizen picks when none fits.
        if category != FALLBACK_CATEGORY:
            names.setdefault(key, category)
    return names


_SUBJECT_NYA: Final = re.compile(r"(?<=[a-z0-9]{4})nya$")


def _phrase_at(tokens: list[str], start: int) -> str | None:
    names = category_words()
    for size in range(min(MAX_PHRASE_WORDS, len(tokens) - start), 0, -1):
        named = names.get(" ".join(tokens[start : start + size]))
        if named is not None:
            return named
    if start < len(tokens) and len(tokens[start]) >= MIN_FUZZY_CHARS:
        # "kebisinagn", "pengemsi": a slip in the one word that names the category.
        single = [key for key in names if " " not in key]
        close = difflib.get_close_matches(tokens[start], single, n=3, cutoff=FUZZY_CUTOFF)
        found = {names[key] for key in close}
        if len(found) == 1:
            return found.pop()
    return None


def named_report_category(text: str) -> str | None:
    """The category named right after a reporting verb, if exactly one is.

    Args:
        text: The opening, e.g. "mau lapor kebisingan min", "ingin melaporkan soal miras".

    Returns:
        The category id, or None when no reporting verb is followed by a category word (or
        two different categories are named so).
    """
    # "yg mau dilaporin parkirnya": the category named as the subject, its "-nya" no part of
    # the name ("tanya", "punya" are too short to lose it).
    tokens = [_SUBJECT_NYA.sub("", token) for token in words(text)]
    found: set[str] = set()
    for index, token in enumerate(tokens):
        if not _REPORT_VERB.match(token):
            continue
        start = index + 1
        linking = 0
        while (
            start < len(tokens)
            and linking < MAX_LINKING_WORDS
            and (tokens[start] in _LINKING_WORDS or tokens[start] in FILLERS)
            and category_words().get(tokens[start]) is None
        ):
            start += 1
            linking += 1
        named = _phrase_at(tokens, start)
        if named is not None:
            found.add(named)
    return found.pop() if len(found) == 1 else None
