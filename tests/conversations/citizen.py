"""The agenda-based simulated citizen: reads each turn of the assistant, decides what to send.

The citizen answers whatever the assistant asks from the persona's facts, in the persona's
style; before and after some questions it follows its own agenda (a question in the middle
of the form, a correction, a change at the summary). It never sends an intent payload of its
own and never looks at the tracker: it sees the assistant's text and choices, as a person
does. It keeps the figures the suite reports: user turns, how often one question came in a
row, whether it gave up and why.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from dataclasses import dataclass, field, replace
from typing import Literal

from lalisa.intake.answers import slip_repairs
from tests.conversations.personas import AFTER_TICKET, PIN_AT, AgendaItem, Persona, gazetteer
from tests.conversations.reading import (
    COMPLAINT_QUESTIONS,
    QUESTION_FACT,
    Option,
    Question,
    Reading,
    find_option,
    normalise,
    option_category,
)
from tests.conversations.style import FIELD_OPTION_WORDS, Typist, Voice

MAX_USER_TURNS = 30
"""A citizen stops after this many messages whatever happens."""
GIVE_UP_AFTER = 5
"""A citizen stops when the same question comes this many times in a row."""
GIVE_UP_TOTAL = 7
"""A citizen stops when one question comes this many times in all (a cycle of questions)."""
LOOP_GUARD_RUN = 3
"""A question asked this many times in a row (more than twice) is a loop-guard hit."""
MAX_IDLE_TURNS = 3
"""A citizen stops after this many turns in a row in which nothing was asked."""
MAX_RETRIES = 2
"""A citizen resends a message the assistant failed to take at most this many times."""

YES_WORDS = ("kirim", "ya", "benar", "betul", "setuju", "lanjut")
NO_WORDS = ("tidak", "bukan", "batal", "tidak jadi")
KEEP_WORDS = ("tidak", "lanjut", "jangan", "kembali")
SKIP_WORDS = ("lewati", "tidak ada", "skip", "tanpa", "anonim", "rahasia", "tidak tahu", "selesai")
DONE_WORDS = ("selesai", "lanjut", "cukup", "sudah", "tidak")
SUMMARY_FIELD_KEYS = {
    "category": "jenis",
    "story": "kejadian",
    "place": "lokasi",
    "time": "waktu",
    "photos": "bukti",
    "name": "nama pelapor",
}
"""The summary line of each fact."""


@dataclass(frozen=True)
class Action:
    """What the citizen does next."""

    kind: Literal["text", "tap", "pin", "photo", "sticker", "voice", "end"]
    text: str = ""
    """The message, or a photo's caption."""
    option: Option | None = None
    latitude: float = 0.0
    longitude: float = 0.0
    label: str | None = None
    photo: int = 0
    """The number of the photo (1, 2) for ``photo``."""
    reason: str = ""
    """Why the conversation ends, for ``end``."""

    def shown(self) -> str:
        """The action as a transcript line."""
        if self.kind == "tap" and self.option is not None:
            return f"[tap] {self.option.title}"
        if self.kind == "pin":
            return f"[pin] {self.latitude:.5f},{self.longitude:.5f} {self.label or ''}".rstrip()
        if self.kind == "photo":
            return f"[photo {self.photo}] {self.text}".rstrip()
        if self.kind in ("sticker", "voice"):
            return f"[{self.kind}]"
        if self.kind == "end":
            return f"[end: {self.reason}]"
        return self.text


@dataclass
class Record:
    """What happened in one conversation, for judging and for the report."""

    user_turns: int = 0
    questions: list[str | None] = field(default_factory=list)
    """The question of each assistant turn (None: it asked nothing)."""
    longest_run: int = 0
    loop_hits: int = 0
    ticket_numbers: list[str] = field(default_factory=list)
    cancelled: bool = False
    false_start: bool = False
    restarted_after_ticket: bool = False
    """A message after the ticket ("sudah masuk?") was answered with a complaint question."""
    end_reason: str = ""
    transcript: list[str] = field(default_factory=list)


def persona_seed(persona_id: str, salt: str = "") -> int:
    """A stable seed for a persona (Python's ``hash`` of a str changes per process)."""
    return int.from_bytes(hashlib.sha256(f"{salt}:{persona_id}".encode()).digest()[:8], "big")


def protected_words(persona: Persona) -> frozenset[str]:
    """Words the typing noise leaves spelled as they are (see ``Typist``).

    Every gazetteer name, the persona's name (and a corrected one), a time text the judge
    looks for, and the persona's own misspellings of a place name ("juwai", "lampihung"): the
    author already typed those with a slip, and a second one in the same word makes a name
    nobody could place (nor would type twice wrong).
    """
    kecamatan, desa = gazetteer()
    names = [*kecamatan, *(d.name for d in desa)]
    texts = [*names, persona.facts.name or ""]
    texts += [v for item in persona.agenda if item.fact == "name" for v in item.value]
    if isinstance(persona.expect.time, str):
        texts.append(persona.expect.time)
    protected = {word.lower() for text in texts for word in re.findall(r"[A-Za-z]+", text)}
    places = [*persona.facts.place]
    places += [v for item in persona.agenda if item.fact == "place" for v in item.value]
    place_words = _place_words(tuple(names))
    protected |= {
        word
        for text in places
        for word in re.findall(r"[a-z]+", text.lower())
        if word not in protected and misspells_a_place(word, place_words)
    }
    return frozenset(protected)


@functools.lru_cache(maxsize=1)
def _place_words(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for n in names for w in re.findall(r"[a-z]+", n.lower()) if len(w) >= 4)


def misspells_a_place(word: str, place_words: frozenset[str]) -> bool:
    """Whether ``word`` is one letter off a place name's word ("juwai", "halonk", "awayn")."""
    if len(word) < 4 or word in place_words:
        return False
    near = slip_repairs(word) | {
        word[:i] + letter + word[i + 1 :]
        for i in range(len(word))
        for letter in "abcdefghijklmnopqrstuvwxyz"
    }
    return not near.isdisjoint(place_words)


class Citizen:
    """One persona in conversation.

    Args:
        persona: Who the citizen is and what they want.
        salt: Changes the persona's random choices (the same salt repeats a run).
        noise: The fraction of typed messages with phone typing slips (0: none).
    """

    def __init__(self, persona: Persona, salt: str = "", noise: float = 0.0) -> None:
        """Prepares the citizen's facts, voice and agenda."""
        self.persona = persona
        self.rng = random.Random(persona_seed(persona.id, salt))
        self.voice = Voice(persona.style, self.rng, persona.say)
        # Its own generator: with noise the persona still says what it says without it.
        noise_rng = random.Random(persona_seed(persona.id, f"{salt}:noise"))
        self.typist = Typist(noise, noise_rng, protected_words(persona) if noise else frozenset())
        facts = persona.facts
        self.facts: dict[str, tuple[str, ...]] = {
            "category": facts.category,
            "story": facts.story,
            "place": facts.place,
            "time": facts.time,
        }
        self.name = facts.name
        self.openings = list(persona.opening)
        self.record = Record()
        self.photos_sent = 0
        self.pin_sent = False
        self.asked: set[Question] = set()
        self.run_question: Question | None = None
        self.run_length = 0
        self.idle_turns = 0
        self.agenda = list(persona.agenda)
        self.pending_after: list[AgendaItem] = []
        self.change: AgendaItem | None = None
        """The summary change under way: the field to name and its new value."""
        self.last_answered: Question | None = None
        self.tries: dict[Question, int] = {}
        self.last_action: Action | None = None
        self.retries = 0
        self.change_tries = 0
        self.change_shown: dict[str, str] | None = None
        """The summary as it stood when a change was asked for in the citizen's own words."""
        self.last_asked: Question | None = None

    # ------------------------------------------------------------ public

    def first_action(self) -> Action:
        """The first message: the persona's opening."""
        self.last_action = self._send(self.openings.pop(0))
        return self.last_action

    def next_action(self, reading: Reading) -> Action:
        """What the citizen sends after the assistant's turn ``reading``."""
        action = self._next(reading)
        if action.kind != "end":
            self.last_action = action
        return action

    def _next(self, reading: Reading) -> Action:
        self._note(reading)
        if self.record.user_turns >= MAX_USER_TURNS:
            return self._end("max_turns")
        if self.persona.off_topic:
            return self._off_topic(reading)
        if self.record.ticket_numbers:
            # The reply to a message sent after the ticket: it must not open a new form.
            if reading.question in COMPLAINT_QUESTIONS:
                self.record.restarted_after_ticket = True
            return self._end("ticket")
        if reading.ticket_numbers:
            self.record.ticket_numbers += reading.ticket_numbers
            follow_up = [
                item
                for item in self.agenda
                if item.moment == "after" and item.question == AFTER_TICKET
            ]
            if follow_up:
                # Not counted as a turn of the complaint: the report is already filed.
                self.agenda.remove(follow_up[0])
                # "{ticket}" stands for the number just given ("status {ticket}").
                say = (follow_up[0].say or "").replace("{ticket}", reading.ticket_numbers[0])
                return Action("text", text=say)
            return self._end("ticket")
        if reading.cancelled:
            self.record.cancelled = True
            return self._end("cancelled")
        if reading.retry and self.last_action is not None and self.retries < MAX_RETRIES:
            # "Gagal … silakan kirim ulang": a person sends the same thing again.
            self.retries += 1
            self.record.user_turns += 1
            return self.last_action
        if reading.question is not None and (
            self.run_length >= GIVE_UP_AFTER
            or self.record.questions.count(reading.question.value) >= GIVE_UP_TOTAL
        ):
            return self._end(f"loop:{reading.question.value}")
        if self.openings:
            return self._send(self.openings.pop(0))
        if 0 < self.photos_sent < self.persona.facts.photos:
            # Several photos picked at once arrive as a burst, whatever the first one's reply.
            return self._photo()
        if "lokasi tercatat" in normalise(reading.text):
            # The place was taken from an earlier message (the story named it): a correction
            # planned "after the location" comes now, as a person reading it would send it.
            self._queue_after(Question.LOCATION)
        while self.pending_after:
            item = self.pending_after.pop(0)
            if self._photo_already_sent(item.say):
                continue
            self._apply(item)
            return self._send(item.say or "")
        question = reading.question
        if question is None:
            # Nothing asked (an answer to a digression, "not understood"): carry on with the
            # question that was open, as a person would.
            self.idle_turns += 1
            if self.idle_turns > MAX_IDLE_TURNS:
                return self._end("stuck")
            question = self.last_asked or Question.MENU
        else:
            self.idle_turns = 0
            if question != self.last_asked:
                # A new question: earlier tries at other questions no longer count.
                self.tries = {}
            self.last_asked = question
        digression = self._agenda_before(question)
        if digression is not None:
            return self._send(digression)
        action = self._answer(question, reading)
        self.tries[question] = self.tries.get(question, 0) + 1
        self.last_answered = question
        self._queue_after(question)
        return action

    def _queue_after(self, question: Question) -> None:
        """Moves the agenda's messages planned right after ``question`` to the next turns."""
        due = [
            item
            for item in self.agenda
            if item.moment == "after" and item.question == question.value
        ]
        self.pending_after += due
        for item in due:
            self.agenda.remove(item)

    # ------------------------------------------------------------ bookkeeping

    def _note(self, reading: Reading) -> None:
        question = reading.question
        self.record.questions.append(question.value if question else None)
        if question is not None and question == self.run_question:
            self.run_length += 1
        else:
            self.run_question = question
            self.run_length = 1 if question is not None else 0
        if self.run_length == LOOP_GUARD_RUN:
            self.record.loop_hits += 1
        self.record.longest_run = max(self.record.longest_run, self.run_length)

    def _attempt(self, question: Question) -> int:
        """How many times the citizen already answered this question since it came up."""
        return self.tries.get(question, 0)

    def _send(self, text: str) -> Action:
        if text == "[photo]" or text.startswith("[photo] "):
            # A photo first, before any word (with the words after "[photo]" as its caption):
            # it counts as one of the persona's photos.
            return self._photo(caption=self.typist.type(text[len("[photo]") :].strip()))
        if text == "[pin]":
            return self._pin()
        at = PIN_AT.match(text)
        if at:
            # A pin somewhere else first (a neighbouring kabupaten): not the persona's place.
            self.record.user_turns += 1
            return Action("pin", latitude=float(at[1]), longitude=float(at[2]), label=at[3] or None)
        if text in ("[sticker]", "[voice]"):
            # A sticker or a voice note (a recorded answer the assistant cannot read): a turn
            # without text, after which the citizen types what was asked.
            self.record.user_turns += 1
            return Action("sticker" if text == "[sticker]" else "voice")
        self.record.user_turns += 1
        return Action("text", text=self.typist.type(text))

    def _tap(self, option: Option) -> Action:
        self.record.user_turns += 1
        return Action("tap", option=option)

    def _photo(self, caption: str = "") -> Action:
        self.photos_sent += 1
        self.record.user_turns += 1
        return Action("photo", text=caption, photo=self.photos_sent)

    def _pin(self) -> Action:
        """The persona's location pin (WhatsApp), shared once."""
        pin = self.persona.facts.pin
        if pin is None:
            raise ValueError(f"{self.persona.id}: no pin to share")
        self.pin_sent = True
        self.record.user_turns += 1
        return Action(
            "pin",
            latitude=pin.latitude,
            longitude=pin.longitude,
            label=self.persona.facts.pin_label,
        )

    def _end(self, reason: str) -> Action:
        self.record.end_reason = reason
        return Action("end", reason=reason)

    # ------------------------------------------------------------ off-topic

    def _off_topic(self, reading: Reading) -> Action:
        if reading.question in COMPLAINT_QUESTIONS or reading.ticket_numbers:
            self.record.false_start = True
            return self._end("false_start")
        if reading.question is Question.CONFIRM_REPORT:
            option = self._choice(reading, ("tidak", "bukan"))
            if option is not None:
                return self._tap(option)
            return self._send(self.voice.phrase("not_a_report", self._attempt(reading.question)))
        if self.openings:
            return self._send(self.openings.pop(0))
        return self._end("done")

    # ------------------------------------------------------------ agenda

    def _agenda_before(self, question: Question) -> str | None:
        if question in self.asked:
            return None
        self.asked.add(question)
        for item in self.agenda:
            if item.moment == "before" and item.question == question.value:
                self.agenda.remove(item)
                return None if self._photo_already_sent(item.say) else item.say
        return None

    def _photo_already_sent(self, say: str | None) -> bool:
        """A photo planned for later ("[photo] ini fotonya") that already went when asked.

        A citizen who said "fotonya nyusul" and was asked again sent it then; they do not
        send the same photo a second time.
        """
        planned = say is not None and (say == "[photo]" or say.startswith("[photo] "))
        return planned and self.photos_sent >= self.persona.facts.photos

    def _apply(self, item: AgendaItem) -> None:
        """Makes a corrected fact the citizen's truth from now on."""
        if item.fact == "name":
            self.name = item.value[0] if item.value else None
        elif item.fact is not None and item.value:
            self.facts[item.fact] = item.value

    def _summary_change(self, reading: Reading) -> AgendaItem | None:
        for item in self.agenda:
            if item.moment == "at" and item.question == Question.SUMMARY.value:
                self.agenda.remove(item)
                return item
        if self.persona.checks_summary and self.change is None:
            wrong = self._wrong_in_summary(reading)
            if wrong is not None:
                return AgendaItem("at", Question.SUMMARY.value, None, wrong, ())
        return None

    def _wrong_in_summary(self, reading: Reading) -> str | None:
        """The first field of the summary that disagrees with the persona's facts."""
        for fact in ("category", "place"):
            if self._shows_wanted(reading, fact) is False:
                return fact
        return None

    def _shows_wanted(self, reading: Reading, fact: str) -> bool | None:
        """Whether the summary's line of ``fact`` shows what the persona wants.

        None when the line is missing or the fact is not one the persona checks (only the
        category and the place are judged against ``expect``).
        """
        from lalisa.tickets.categories import CATEGORY_LABELS

        expect = self.persona.expect
        shown = {key: normalise(value) for key, value in reading.summary.items()}
        if fact == "category":
            kind = shown.get("jenis")
            if kind is None:
                return None
            labels = {normalise(CATEGORY_LABELS[c]) for c in expect.categories}
            # "Lainnya (karoke ilegal)": the label, with the citizen's own words kept.
            return any(kind == label or kind.startswith(f"{label} (") for label in labels)
        if fact == "place":
            place = shown.get("lokasi")
            if place is None:
                return None
            return normalise(expect.desa or expect.kecamatan or "") in place
        return None

    # ------------------------------------------------------------ answers

    def _choice(self, reading: Reading, words: tuple[str, ...]) -> Option | None:
        if not self.persona.taps:
            return None
        return find_option(reading.options, words)

    def _hint(self, reading: Reading, attempt: int) -> str | None:
        """The word the assistant told the citizen to type, for a persona that follows it."""
        if self.persona.follows_hints and attempt > 0 and reading.hints:
            return reading.hints[0]
        return None

    def _fact(self, fact: str, attempt: int) -> str:
        values = self.facts[fact]
        return values[min(attempt, len(values) - 1)]

    def _answer(self, question: Question, reading: Reading) -> Action:
        attempt = self._attempt(question)
        handler = {
            Question.MENU: self._answer_menu,
            Question.CONFIRM_REPORT: self._answer_confirm_report,
            Question.CATEGORY: self._answer_category,
            Question.DESCRIPTION: self._answer_description,
            Question.LOCATION: self._answer_location,
            Question.TIME: self._answer_time,
            Question.EVIDENCE: self._answer_evidence,
            Question.EVIDENCE_MORE: self._answer_evidence,
            Question.NAME: self._answer_name,
            Question.SUMMARY: self._answer_summary,
            Question.CORRECTION_FIELD: self._answer_correction_field,
            Question.CONFIRM_CANCEL: self._answer_confirm_cancel,
        }[question]
        if self.change is not None and QUESTION_FACT.get(question) == self.change.fact:
            # The field being changed is asked again: its new value is the answer now.
            self._apply(self.change)
            self.change = None
            self.change_tries = 0
        return handler(reading, attempt)

    def _answer_menu(self, reading: Reading, attempt: int) -> Action:
        option = self._choice(reading, ("lapor",))
        if option is not None:
            return self._tap(option)
        if attempt == 0 and self.last_answered is None:
            return self._send(self.voice.phrase("report", attempt))
        return self._send(self._fact("story", attempt))

    def _answer_confirm_report(self, reading: Reading, attempt: int) -> Action:
        option = self._choice(reading, ("ya", "lapor", "benar"))
        if option is not None:
            return self._tap(option)
        return self._send(self.voice.phrase("agree_report", attempt))

    def _answer_category(self, reading: Reading, attempt: int) -> Action:
        wanted = self.persona.expect.categories
        if self.persona.taps:
            for option in reading.options:
                if option_category(option.title) in wanted:
                    return self._tap(option)
            if attempt > 0:
                other = find_option(reading.options, ("lainnya",))
                if other is not None:
                    return self._tap(other)
        return self._send(self._fact("category", attempt))

    def _answer_description(self, reading: Reading, attempt: int) -> Action:
        story = self._fact("story", attempt)
        if attempt > 0 and len(self.facts["story"]) <= attempt:
            story = f"{story} {self.voice.phrase('more_detail')}"
        return self._send(story)

    def _answer_location(self, reading: Reading, attempt: int) -> Action:
        facts = self.persona.facts
        expect = self.persona.expect
        names = [n for n in (expect.desa, expect.kecamatan) if n]
        option = self._choice(reading, tuple(names))
        if option is not None:
            return self._tap(option)
        if facts.pin is not None and not self.pin_sent and self.facts["place"] == facts.place:
            return self._pin()
        places = self.facts["place"]
        typed = max(0, attempt - (1 if self.pin_sent else 0))
        if typed < len(places):
            return self._send(places[typed])
        # Not understood: say the village and kecamatan plainly, then the kecamatan alone.
        extra = typed - len(places)
        if expect.desa and extra == 0:
            return self._send(
                self.voice.phrase(
                    "place_fallback", attempt, desa=expect.desa, kecamatan=expect.kecamatan or ""
                )
            )
        return self._send(
            self.voice.phrase("kecamatan_fallback", attempt, kecamatan=expect.kecamatan or "")
        )

    def _decline(
        self, reading: Reading, attempt: int, intent: str, words: tuple[str, ...] = SKIP_WORDS
    ) -> Action:
        """Declines an optional question: taps a skip choice, types the hint, or says so."""
        option = self._choice(reading, words)
        if option is not None:
            return self._tap(option)
        hint = self._hint(reading, attempt)
        return self._send(hint or self.voice.phrase(intent, attempt))

    def _answer_time(self, reading: Reading, attempt: int) -> Action:
        if self.facts["time"]:
            return self._send(self._fact("time", attempt))
        return self._decline(reading, attempt, "no_time", ("tidak tahu", "lewati", "skip"))

    def _answer_evidence(self, reading: Reading, attempt: int) -> Action:
        if self.photos_sent < self.persona.facts.photos:
            return self._photo()
        if self.photos_sent or reading.question is Question.EVIDENCE_MORE:
            return self._decline(reading, attempt, "photos_done", DONE_WORDS)
        return self._decline(reading, attempt, "no_photo")

    def _answer_name(self, reading: Reading, attempt: int) -> Action:
        if self.name is not None:
            return self._send(self.name)
        return self._decline(reading, attempt, "no_name")

    def _answer_summary(self, reading: Reading, attempt: int) -> Action:
        if self.change is not None and self._change_taken(reading):
            # "eh kecamatannya salah, harusnya juai" was applied at once: the summary shows
            # the new value, so there is nothing left to change.
            self._apply(self.change)
            self.change = None
            self.change_tries = 0
        change = self._summary_change(reading)
        if change is None and self.change is not None and self.change_tries < 2:
            # The change asked for was not taken (the field never came back): ask again,
            # this time with the plain "ubah".
            change = replace(self.change, say=None)
        if change is not None:
            self.change = change
            self.change_tries += 1
            if change.say:
                self.change_shown = dict(reading.summary)
                return self._send(change.say)
            option = self._choice(reading, ("ubah", "ganti", "perbaiki"))
            if option is not None:
                return self._tap(option)
            return self._send(self.voice.phrase("change", attempt))
        option = self._choice(reading, YES_WORDS)
        if option is not None:
            return self._tap(option)
        return self._send(self.voice.phrase("yes", attempt))

    def _change_taken(self, reading: Reading) -> bool:
        """The change said in own words shows in the summary (its field's line changed)."""
        change, before = self.change, self.change_shown
        if change is None or not change.say or before is None or change.fact is None:
            return False
        key = SUMMARY_FIELD_KEYS.get(change.fact)
        if key is not None and reading.summary.get(key) not in (None, before.get(key)):
            return True
        # Nothing changed because the line already showed the wanted value ("Jenis laporan
        # sudah tercatat sebagai Parkir Liar"): a person sees it is right and does not ask again.
        return self._shows_wanted(reading, change.fact) is True

    def _answer_correction_field(self, reading: Reading, attempt: int) -> Action:
        if self.change is None or self.change.fact is None:
            # Asked what to change with nothing left to change: say it is fine now.
            return self._send(self.voice.phrase("no_change", attempt))
        fact = self.change.fact
        option = self._choice(reading, FIELD_OPTION_WORDS[fact])
        if option is not None:
            return self._tap(option)
        return self._send(self.voice.field_word(fact))

    def _answer_confirm_cancel(self, reading: Reading, attempt: int) -> Action:
        option = self._choice(reading, KEEP_WORDS)
        if option is not None:
            return self._tap(option)
        return self._send(self.voice.phrase("keep_going", attempt))
