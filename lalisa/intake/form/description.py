"""The description question, and the place and time a story names in passing."""

from __future__ import annotations

from typing import Final

from lalisa.intake.answers import MAX_DESCRIPTION_CHARS, SKIPPED, clean_description
from lalisa.intake.form.place_time import _set_place
from lalisa.intake.form.turn import (
    CANCEL_INTENT,
    DIGRESSION_INTENTS,
    MAX_TIME_CHARS,
    MIN_OPENING_DESCRIPTION_WORDS,
    MIN_STORY_WORDS,
    Answer,
    _Turn,
)
from lalisa.intake.opening import read_opening_place, read_opening_time
from lalisa.intake.readers.story_lead import without_story_lead
from lalisa.intake.readers.words import looks_like_question, story_words, tells_a_story, words

MIN_OPENING_SUBSTANCE_WORDS: Final = 2
"""An opening is the story only when it names more than a vague act: "p min, ada yg
ngerusakin" says that something happened, not what or where; the form asks for the story."""

# Words that carry no substance in an opening: nudges, "there is", "someone", pointers and
# prepositions. What is left names the act, the object or the place.
_VAGUE_WORDS: Final = frozenset(
    {
        "p", "ping", "ada", "yg", "yang", "nang", "orang", "org", "urang", "seseorang",
        "sesuatu", "itu", "tu", "ini", "di", "ke", "dari", "sama", "dan", "lagi", "lg",
        "tolong", "tlg", "bantu", "bantuin", "banget", "bgt", "sekali", "sangat", "nih",
        "tuh", "kami", "kita", "kita2", "pun", "juga", "jg", "tadi", "td", "ni", "gan",
        "kenapa", "knp", "kok", "sudah", "udah", "udh", "sdh", "lah", "dah",
    }
)  # fmt: skip


def has_substance(text: str) -> bool:
    """Whether an opening names what happened beyond a vague act ("ada yg ngerusakin")."""
    return (
        len([t for t in story_words(text) if t not in _VAGUE_WORDS]) >= MIN_OPENING_SUBSTANCE_WORDS
    )


def _maybe_description(turn: _Turn, text: str) -> None:
    if turn.get("description") is not None or not text:
        return
    description = clean_description(text)
    if (
        description is not None
        and len(description.split()) >= MIN_OPENING_DESCRIPTION_WORDS
        and len(story_words(description)) >= MIN_STORY_WORDS
        and has_substance(description)
    ):
        # The story without the greeting, the reporter's introduction and "saya ingin
        # melaporkan": the TRC reads this field and must never learn who reported. When
        # nothing of the story is left, the description is asked.
        story = clean_description(without_story_lead(description))
        if story is not None:
            turn.set(description=story)


def _read_description(turn: _Turn, answer: Answer, strict: bool) -> bool:
    if not strict:
        return False
    told = len(story_words(answer.typed)) >= MIN_STORY_WORDS
    if answer.clear_intent(*(DIGRESSION_INTENTS - {"emergency"}), CANCEL_INTENT) or (
        # A story that mentions danger ("hampir menyebabkan kecelakaan") is still the story
        # (the emergency numbers are said first); a short cry for help is not.
        answer.clear_intent("emergency") and not told
    ):
        return False
    if looks_like_question(answer.typed) and not tells_a_story(answer.typed):
        # "harus detail kah?", "maksudnya gimana min?": a question about the question.
        return False
    description = clean_description(answer.typed or None)
    if description is None:
        return False
    story = clean_description(without_story_lead(description))
    if story is None:
        # "Selamat pagi, saya Budi warga Halong": a greeting and who the reporter is, no
        # story yet (and no identity in the field the TRC reads).
        return False
    description = story
    turn.set(description=description)
    _read_story_details(turn, answer.typed)
    return True


def _read_story_details(turn: _Turn, text: str) -> None:
    """The place and the time a story already gives ("… di pasar Batumandi samalam").

    Read strictly (:mod:`lalisa.intake.opening`), and only for questions not answered yet;
    the summary shows both, so a wrong reading can still be corrected there.
    """
    if not text:
        return
    if turn.get("location") is None and turn.get("location_mode") is None:
        found = read_opening_place(text)
        if found is not None:
            _set_place(turn, found.place, found.text)
    if turn.get("incident_time") is None:
        said = read_opening_time(text, turn.now)
        if said is not None:
            turn.set(
                incident_time=said.text[:MAX_TIME_CHARS],
                incident_at=said.moment.isoformat() if said.moment is not None else None,
            )


# Words that go on with a story ("terus tiap malem …", "soalnya …", Banjar "imbah itu …").
_CONTINUATION_WORDS: Final = frozenset(
    {
        "terus", "trus", "trs", "lalu", "dan", "soalnya", "karena", "karna", "krn", "sampai",
        "sampe", "smpe", "tapi", "tp", "juga", "jg", "habis", "abis", "imbah", "selain",
        "bahkan", "malah", "kadang", "kadang2", "apalagi", "padahal",
    }
)  # fmt: skip
# Words of a place answer: a message with one is an attempt at the place, never more story.
_PLACE_WORDS: Final = frozenset(
    {
        "desa", "ds", "dsa", "kelurahan", "kel", "kecamatan", "kec", "kampung", "dusun", "rt",
        "rw", "jalan", "jln", "jl", "gang", "gg", "dekat", "deket", "dkt", "depan", "dpn",
        "samping", "sebelah", "sblh", "belakang", "blkg", "seberang", "pinggir", "parak",
        "higa", "sabalah", "komplek", "perumahan", "lokasi", "lokasinya", "alamat", "alamatnya",
    }
)  # fmt: skip
MIN_CONTINUED_STORY_WORDS: Final = 8
"""Without a word that goes on with the story, this many story words make a message more of
the story rather than a place the gazetteer does not know."""


def _continues_story(turn: _Turn, text: str) -> bool:
    """A second part of the story sent at the place question ("terus tiap malem yg beli …").

    People send the story in two messages; the second arrives once the place is asked. With
    no place word in it, it is added to the description and the place asked again, with no
    "not understood" (the question still counts as asked, so the loop guard holds).
    """
    description = turn.get("description")
    if not description or description == SKIPPED or not text or looks_like_question(text):
        return False
    tokens = words(text)
    if not tokens or any(t in _PLACE_WORDS for t in tokens):
        return False
    told = story_words(text)
    if len(told) < MIN_CONTINUED_STORY_WORDS and not (
        tokens[0] in _CONTINUATION_WORDS and len(told) >= MIN_STORY_WORDS
    ):
        return False
    turn.set(description=f"{description}\n{text.strip()}"[:MAX_DESCRIPTION_CHARS])
    turn.say("utter_corrected_description")
    turn.kept_asking = True
    return True
