"""The category question: the NLU's guess, a category named or picked by number, "lainnya"."""

from __future__ import annotations

import difflib
import re
from typing import Final

from lalisa.intake.form.description import _maybe_description, _read_story_details
from lalisa.intake.form.turn import MAX_TIME_CHARS, Answer, _Turn
from lalisa.intake.readers.named_category import category_titles
from lalisa.intake.readers.words import FILLERS, list_position, looks_like_question, words
from lalisa.tickets.categories import (
    FALLBACK_CATEGORY,
    FIRST_PAGE_CATEGORIES,
    MORE_CATEGORIES,
    read_category_entity,
    read_category_ranking,
    second_page_categories,
)

MIN_FUZZY_TITLE_CHARS: Final = 6
FUZZY_TITLE_CUTOFF: Final = 0.85
"""A typed category title this close to one title (difflib ratio) is that category."""
_MORE_CATEGORY_WORDS: Final = frozenset(
    {"lihat semua jenis", "semua jenis", "lihat semua", "lihat semua kategori", "semua kategori"}
)
_POINTING: Final = frozenset({"ini", "itu", "tu", "yg", "yang", "jadi", "menjadi"})
"""Words pointing at the category named ("ini parkir liar", "jadi reklame liar")."""
_OTHER_CATEGORY_WORDS: Final = frozenset(
    {
        "lainnya",
        "lain",
        "lain lain",
        "yang lain",
        "yg lain",
        "lainya",
        "bukan semua",
        "lainnya saja",
    }
)


def _take_category_guess(turn: _Turn, answer: Answer, *, ranked: bool = False) -> bool:
    """Takes the category of the message, or offers the likeliest ones; True when taken.

    ``ranked``: the message answers "which kind?", so without an entity the classifier's
    ranking is read too (:func:`read_category_ranking`).
    """
    guess = read_category_entity(answer.entities)
    if guess is None and ranked and not looks_like_question(answer.typed):
        guess = read_category_ranking(answer.category_ranking)
    if guess is None:
        return False
    offered = turn.get("category_candidates") or []
    if guess.confident or guess.value in offered:
        # A category the citizen's own words point to among those offered is their choice.
        turn.set(category=guess.value, category_candidates=None)
        return True
    choices = guess.choices()
    if choices and choices != turn.get("category_candidates"):
        turn.set(category_candidates=choices)
    return False


def category_named(text: str) -> str | None:
    """The category whose id, label or button title the whole text is ("asusila", "odgj").

    A title typed with a slip ("reklam liar", "balap lair", "kebisingn") counts too when it
    is close to one title only.
    """
    key = " ".join(words(text))
    named = _CATEGORY_NAMES.get(key)
    if named is None:
        # "perkelahian min", "ini parkir liar", "reklame liar ya min, itu poster": the title
        # with a form of address, a pointing word or a remark after a comma.
        first = re.split(r"[,.;!?]", text, maxsplit=1)[0]
        key = " ".join(t for t in words(first) if t not in FILLERS and t not in _POINTING)
        named = _CATEGORY_NAMES.get(key)
    if named is not None or len(key) < MIN_FUZZY_TITLE_CHARS:
        return named
    close = difflib.get_close_matches(key, _CATEGORY_NAMES, n=3, cutoff=FUZZY_TITLE_CUTOFF)
    found = {_CATEGORY_NAMES[title] for title in close}
    return found.pop() if len(found) == 1 else None


def _offered_by_number(turn: _Turn, text: str) -> str | None:
    """The category at the position typed instead of tapped ("2", "no 3", "yg kedua").

    The position counts in the list shown: the likeliest categories offered, else the
    category list (its first page, or the second after "Lihat semua jenis"). The row "Lihat
    semua jenis" reads as :data:`MORE_CATEGORIES`.
    """
    position = list_position(text)
    if position is None:
        return None
    offered = turn.get("category_candidates") or []
    if offered:
        choices = [*offered, FALLBACK_CATEGORY]
    elif turn.get("category_page") == "more":
        choices = [*second_page_categories(), FALLBACK_CATEGORY]
    else:
        choices = [*FIRST_PAGE_CATEGORIES, MORE_CATEGORIES, FALLBACK_CATEGORY]
    return choices[position - 1] if position <= len(choices) else None


_CATEGORY_NAMES: Final = category_titles()


def _asks_for_more_categories(answer: Answer) -> bool:
    """The row "Lihat semua jenis" of the category list, tapped or typed."""
    if any(
        entity.get("entity") == "category" and entity.get("value") == MORE_CATEGORIES
        for entity in answer.entities
    ):
        return True
    return " ".join(words(answer.typed)) in _MORE_CATEGORY_WORDS


def _read_category(turn: _Turn, answer: Answer, strict: bool) -> bool:
    read = _read_category_value(turn, answer, strict)
    if turn.get("category") is not None and turn.get("category_page") is not None:
        turn.set(category_page=None)
    return read


def _read_category_value(turn: _Turn, answer: Answer, strict: bool) -> bool:
    text = answer.typed
    if strict:
        if _asks_for_more_categories(answer):
            # The rest of the categories, as a second list (no answer yet, and no miss).
            turn.set(category_page="more", category_candidates=None)
            return True
        if " ".join(words(text)) in _OTHER_CATEGORY_WORDS:
            turn.set(category=FALLBACK_CATEGORY, category_candidates=None)
            return True
        named = category_named(text) or _offered_by_number(turn, text)
        if named == MORE_CATEGORIES:
            turn.set(category_page="more", category_candidates=None)
            return True
        if named is not None:
            # The category's own name, typed instead of tapped ("asusila", "odgj").
            turn.set(category=named, category_candidates=None)
            return True
        if _take_category_guess(turn, answer, ranked=True):
            _maybe_description(turn, text)
            _read_story_details(turn, text)
            return True
        return False
    if len(words(text)) < 2 or looks_like_question(text):
        return False
    rounds = int(turn.get("category_rounds") or 0)
    turn.set(category_told=text[:MAX_TIME_CHARS], category_rounds=rounds + 1)
    if rounds:
        # A typed answer the form could not read, again (the summary's change request asked
        # for it once more): not another guess, but the citizen's words kept for the officer
        # under "lainnya"; a further change request for it goes to a person (_clear_field).
        turn.set(category=FALLBACK_CATEGORY, category_candidates=None)
        turn.say("utter_category_kept_as_told", category_told=text[:MAX_TIME_CHARS])
        return True
    # A story without a recognisable category ("kamar mandi umum dirusak orang") is filed
    # under the likeliest category offered, or "lainnya" for the officer to classify; the
    # summary shows it (with the citizen's words) and can change it.
    offered = turn.get("category_candidates") or [FALLBACK_CATEGORY]
    turn.set(category=offered[0], category_candidates=None)
    _maybe_description(turn, text)
    _read_story_details(turn, text)
    return True
