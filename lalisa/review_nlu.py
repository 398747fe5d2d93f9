"""Rasa training-data text for conversation review: NLU YAML of annotations, test stories.

Pure functions (standard library and PyYAML only) so both the back office and the Rasa-layer
retraining test (``.venv-rasa``, SQLAlchemy 1.4) can import them.

The NLU export is deduplicated against every example already under ``data/nlu`` and within
itself by :func:`normalise_example` (entity markup removed, lower case, whitespace collapsed,
surrounding punctuation dropped). The same text annotated with different intents or entities is
a *conflict*: left out of the file and reported, so the trainer decides.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

NLU_VERSION: Final = "3.1"
EXPORT_FILE_NAME: Final = "reviewed.yml"
"""Where the trainer saves the export: ``data/nlu/reviewed.yml``."""

# [text](entity), [text](entity:value) (Rasa 2 short form), [text]{"entity": ...}
_MARKUP = re.compile(r"\[(?P<text>[^\]]*)\](?:\((?P<short>[^)]*)\)|(?P<json>\{[^}]*\}))")
_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t\n.,!?;:'\"()-_~*"


@dataclass(frozen=True)
class EntitySpan:
    """An entity in an example: ``text[start:end]`` is tagged ``entity`` with ``value``."""

    start: int
    end: int
    entity: str
    value: str


@dataclass(frozen=True)
class Example:
    """One annotated user message.

    Attributes:
        text: The message (one line; identity already masked).
        intent: The correct intent.
        entities: Entity spans over ``text``.
        source: Where it comes from (e.g. ``turn:12``), for the conflict report.
    """

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Conflict:
    """The same (normalised) text annotated in incompatible ways."""

    text: str
    variants: tuple[tuple[str, str], ...]
    """(intent, marked-up example) pairs, sorted."""
    sources: tuple[str, ...]


@dataclass
class NluExport:
    """Result of :func:`build_nlu_export`."""

    yaml_text: str
    included: list[Example] = field(default_factory=list)
    already_in_data: list[Example] = field(default_factory=list)
    duplicates: list[Example] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def strip_markup(text: str) -> str:
    """Remove Rasa entity markup, keeping the tagged text.

    Args:
        text: A training example such as ``ada [pkl](category) di pasar``.

    Returns:
        ``ada pkl di pasar``.
    """
    return _MARKUP.sub(lambda match: match.group("text"), text)


def normalise_example(text: str) -> str:
    """Comparison key of an example: markup removed, case folded, spacing collapsed.

    Args:
        text: An example, with or without entity markup.

    Returns:
        The key; two examples with the same key are duplicates.
    """
    plain = unicodedata.normalize("NFKC", strip_markup(text)).casefold()
    return _SPACES.sub(" ", plain).strip(_EDGE_PUNCTUATION)


def normalise_markup(text: str) -> str:
    """Like :func:`normalise_example` but keeping the entity markup (compares annotations)."""
    plain = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", plain).strip(_EDGE_PUNCTUATION)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def mark_up(example: Example) -> str:
    """The example in Rasa markup: ``[text](entity)`` or ``[text]{"entity": .., "value": ..}``.

    Args:
        example: Text and entity spans (spans must not overlap).

    Returns:
        One line of training data.

    Raises:
        ValueError: A span is outside the text or overlaps another one.
    """
    parts: list[str] = []
    position = 0
    text = example.text
    for span in sorted(example.entities, key=lambda span: span.start):
        if span.start < position or span.end > len(text) or span.start >= span.end:
            raise ValueError(f"bad entity span {span} in {text!r}")
        parts.append(text[position : span.start])
        tagged = text[span.start : span.end]
        if span.value == tagged:
            parts.append(f"[{tagged}]({span.entity})")
        else:
            attributes = json.dumps(
                {"entity": span.entity, "value": span.value}, ensure_ascii=False
            )
            parts.append(f"[{tagged}]{attributes}")
        position = span.end
    parts.append(text[position:])
    return _one_line("".join(parts))


def _examples_of_block(block: Any) -> list[str]:
    examples = block.get("examples") if isinstance(block, dict) else None
    if not isinstance(examples, str):
        return []
    lines = []
    for line in examples.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            lines.append(stripped[2:])
    return lines


def existing_examples(nlu_dir: Path) -> set[str]:
    """Normalised texts of every intent example under a ``data/nlu`` directory.

    Args:
        nlu_dir: The project's NLU data directory (searched recursively for ``*.yml``).

    Returns:
        The set of :func:`normalise_example` keys.
    """
    keys: set[str] = set()
    for path in sorted(nlu_dir.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or () if isinstance(document, dict) else ():
            if isinstance(block, dict) and "intent" in block:
                keys.update(normalise_example(text) for text in _examples_of_block(block))
    return keys


def _render_nlu(examples: Sequence[Example], header: Sequence[str]) -> str:
    lines = [f"# {line}" if line else "#" for line in header]
    lines += [f'version: "{NLU_VERSION}"', ""]
    if not examples:
        lines.append("nlu: []")
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(mark_up(example))
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in by_intent[intent])
    return "\n".join(lines) + "\n"


def build_nlu_export(
    examples: Iterable[Example], existing: set[str], *, header: Sequence[str] = ()
) -> NluExport:
    """Build the NLU YAML of reviewed annotations.

    Args:
        examples: The annotations, in a stable order (the first of duplicates is kept).
        existing: Keys of the examples already in the training data
            (:func:`existing_examples`).
        header: Comment lines put at the top of the file.

    Returns:
        The YAML text and what was included, skipped and found in conflict.
    """
    groups: dict[str, list[Example]] = {}
    for example in examples:
        one_line = Example(
            # Same length, so the entity offsets stay valid; mark_up() collapses the spaces.
            text=example.text.replace("\r", " ").replace("\n", " "),
            intent=example.intent,
            entities=example.entities,
            source=example.source,
        )
        key = normalise_example(one_line.text)
        if key:
            groups.setdefault(key, []).append(one_line)
    result = NluExport(yaml_text="")
    for key, group in groups.items():
        variants = {(example.intent, mark_up(example)) for example in group}
        # Case and spacing do not make a conflict; another intent or other entities do.
        if len({(intent, normalise_markup(text)) for intent, text in variants}) > 1:
            result.conflicts.append(
                Conflict(
                    text=group[0].text,
                    variants=tuple(sorted(variants)),
                    sources=tuple(example.source for example in group),
                )
            )
            continue
        if key in existing:
            result.already_in_data.extend(group)
            continue
        result.included.append(group[0])
        result.duplicates.extend(group[1:])
    result.yaml_text = _render_nlu(result.included, header)
    return result


# ---------------------------------------------------------------------------- test stories


@dataclass(frozen=True)
class UserStep:
    """A user message of a test story."""

    example: Example


@dataclass(frozen=True)
class ActionStep:
    """A bot action of a test story (``utter_*`` or a custom action)."""

    name: str


@dataclass(frozen=True)
class SlotStep:
    """A slot set during the story."""

    name: str
    value: Any


@dataclass(frozen=True)
class LoopStep:
    """A form activated (``name``) or deactivated (``None``)."""

    name: str | None


StoryStep = UserStep | ActionStep | SlotStep | LoopStep


def build_test_story(name: str, steps: Sequence[StoryStep]) -> str:
    """A Rasa 3 test story (``tests/test_*.yml``) of one conversation.

    Args:
        name: The story name.
        steps: The conversation, oldest first.

    Returns:
        YAML text with ``version`` and one ``stories`` entry.
    """
    rendered: list[dict[str, Any]] = []
    for step in steps:
        if isinstance(step, UserStep):
            rendered.append({"user": mark_up(step.example), "intent": step.example.intent})
        elif isinstance(step, ActionStep):
            rendered.append({"action": step.name})
        elif isinstance(step, SlotStep):
            rendered.append({"slot_was_set": [{step.name: step.value}]})
        else:
            rendered.append({"active_loop": step.name})
    document = {"version": NLU_VERSION, "stories": [{"story": name, "steps": rendered}]}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000)


# ------------------------------------------------------------------------ training stories

STORIES_FILE_NAME: Final = "reviewed.yml"
"""Where the trainer saves the training stories: ``data/stories/reviewed.yml``."""

# Rasa's fallback actions revert the user message before them (the tracker forgets it), so a
# training story leaves out both.
_REVERTING_ACTIONS: Final = frozenset({"action_default_fallback", "action_two_stage_fallback"})
_FALLBACK_INTENT: Final = "nlu_fallback"


def training_story_steps(
    steps: Sequence[StoryStep], featurized_slots: Iterable[str]
) -> list[dict[str, Any]]:
    """The steps of a training story (``data/stories``) for one conversation.

    A training story holds what the dialogue policies learn from: intents, actions, form
    (de)activations and the slots that influence the conversation. It holds no message text
    and no other slot value, so no citizen's words or identity end up in the training data.

    Args:
        steps: The conversation, oldest first (annotated intents already applied).
        featurized_slots: Slots with ``influence_conversation`` (from the domain).

    Returns:
        Rasa story steps; the story stops where a person took the conversation over.
    """
    keep = set(featurized_slots)
    rendered: list[dict[str, Any]] = []
    for step in steps:
        if isinstance(step, UserStep):
            rendered.append({"intent": step.example.intent})
        elif isinstance(step, ActionStep):
            if step.name in _REVERTING_ACTIONS:
                while rendered and "intent" not in rendered[-1]:
                    rendered.pop()
                if rendered:
                    rendered.pop()
                continue
            rendered.append({"action": step.name})
        elif isinstance(step, SlotStep):
            if step.name in keep:
                rendered.append({"slot_was_set": [{step.name: step.value}]})
        else:
            rendered.append({"active_loop": step.name})
    # A story that ends on user messages the assistant never answered (a takeover, a
    # conversation still going) teaches nothing past its last action.
    while rendered and "intent" in rendered[-1]:
        rendered.pop()
    # An nlu_fallback the reviewer did not correct is not something to learn from.
    return [] if any(step.get("intent") == _FALLBACK_INTENT for step in rendered) else rendered


@dataclass
class StoriesExport:
    """Result of :func:`build_training_stories`."""

    yaml_text: str
    included: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Stories left out: empty, or with a message the NLU did not understand."""


def build_training_stories(
    stories: Iterable[tuple[str, Sequence[StoryStep]]],
    featurized_slots: Iterable[str],
    *,
    header: Sequence[str] = (),
) -> StoriesExport:
    """Rasa training stories (``data/stories/reviewed.yml``) of reviewed conversations.

    Args:
        stories: (story name, conversation steps) pairs, in a stable order.
        featurized_slots: Slots with ``influence_conversation`` (from the domain).
        header: Comment lines put at the top of the file.

    Returns:
        The YAML text, with the names of the stories included and skipped.
    """
    slots = tuple(featurized_slots)
    result = StoriesExport(yaml_text="")
    rendered = []
    for name, steps in stories:
        story_steps = training_story_steps(steps, slots)
        if not story_steps:
            result.skipped.append(name)
            continue
        result.included.append(name)
        rendered.append({"story": name, "steps": story_steps})
    lines = [f"# {line}" if line else "#" for line in header]
    document = {"version": NLU_VERSION, "stories": rendered}
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000)
    result.yaml_text = "\n".join([*lines, body]) if lines else body
    return result
