"""Intents that the words of a message decide, whatever DIET guessed.

A Google Maps link pasted alone ("https://maps.app.goo.gl/…") shares a place: it is read as
``share_location`` (:mod:`lalisa_common.map_links`), answered outside the form by
``action_location_outside_form`` and inside it by the place reader.

Small talk ("apa kabar min", "makasih ya", "assalamualaikum") and the confidentiality
question ("ini rahasia kan?", "identitas pelapor aman kah?") are short, and DIET reads them
as ``out_of_scope`` ("apa kabar" is in the off-topic corpus), ``cancel``, ``deny`` or
``nlu_fallback``: the citizen then hears "di luar kewenangan" or "tidak ada yang dibatalkan"
instead of an answer. So are questions about the follow-up of a report ("kapan ditindak
min?" right after the ticket number got "belum memahami"). Their words leave no doubt
(:mod:`lalisa_common.small_talk`, :mod:`lalisa_common.follow_up`: strict readers shared with
the complaint form), so this component, placed last in the pipeline, sets the intent they
name. Rules (data/rules) answer them from there.

A third kind: a story DIET or the complaint gate calls ``out_of_scope`` while the category
classifier reads a Satpol PP matter in it outright ("orang gangguan jiwa bawa senjata tajam
keliling kampung", "ada warung dibangun di atas saluran air"). "Di luar kewenangan"
needs a clear other-agency subject; without one
(:func:`lalisa_common.remit.names_other_agency_service`) the message is a ``report_complaint``
again, and the dialogue's complaint signal decides whether to start the form or ask first,
keeping the story either way.

More DIET examples were the other option; DIET is sensitive to new intent examples (13
``report_complaint`` examples once cost 1.5 points of intent F1), while these readers change
nothing for any other message.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from lalisa_common.follow_up import asks_about_follow_up
from lalisa_common.map_links import is_bare_map_link
from lalisa_common.remit import asks_about_remit, names_other_agency_service
from lalisa_common.small_talk import asks_confidentiality, read_small_talk
from lalisa_rasa.nlu.fingerprint import source_fingerprint

TEXT_RULE_KEY = "text_rule"
"""Parse-data key naming the rule that set the intent and the intent DIET had given."""

SMALL_TALK_INTENTS = {
    "salam": "greet",
    "greeting": "greet",
    "how_are_you": "greet",
    "thanks": "thank",
    "attention": "greet",
}
CONFIDENTIALITY_INTENT = "ask_confidentiality"
AUTHORITY_INTENT = "ask_authority"
"""Also the intent of "is this Satpol PP's business or another agency's?" (its rule's action
tells the two apart, actions/info.py)."""
COMPLAINT_INTENT = "report_complaint"
OFF_TOPIC_INTENT = "out_of_scope"
CATEGORY_RANKING_KEY = "category_ranking"  # set by lalisa_rasa.nlu.category_classifier
MATTER_MIN_CONFIDENCE = 0.5
"""A Satpol PP matter is named outright: its category's probability, "no category" included."""
MATTER_MAX_NONE = 0.3
"""… and the classifier gives "no category" at most this probability."""


def names_satpol_matter(
    text: str, entities: list[dict[str, Any]], category_ranking: dict[str, Any] | None
) -> bool:
    """Whether a message names a Satpol PP matter outright and no other agency's service.

    Args:
        text: The message.
        entities: Its entities (the ``category`` entity of the category classifier).
        category_ranking: The classifier's ``category_ranking`` (its ``none_confidence``).

    Returns:
        True when a category entity's probability, the "no category" share included, reaches
        :data:`MATTER_MIN_CONFIDENCE`, "no category" stays under :data:`MATTER_MAX_NONE`, and
        the text names no service of another agency ("KTP", "listrik", "sekolah").
    """
    if not isinstance(category_ranking, dict):
        return False
    none = float(category_ranking.get("none_confidence", 1.0))
    category = next((e for e in entities if e.get("entity") == "category"), None)
    if category is None or none > MATTER_MAX_NONE:
        return False
    confidence = float(category.get("confidence") or 0.0) * (1.0 - none)
    return confidence >= MATTER_MIN_CONFIDENCE and not names_other_agency_service(text)


FOLLOW_UP_INTENT = "check_status"
"""A question about the follow-up of a report ("kapan ditindak min?") asks how the citizen's
report stands: the status action answers it with what happens next and the ticket's status,
and the complaint form, which has no ticket yet, says what happens once it is sent."""
KEPT_INTENTS = frozenset({"emergency"})
"""Intents the words of a follow-up question do not override: the emergency numbers first."""
# A Google Maps link pasted alone shares a place as a pin does; DIET has no words to read in
# it and falls back ("Maaf, saya belum memahami"), which tells the citizen nothing useful.
SHARED_PLACE_INTENT = "share_location"


def intent_by_words(text: str, entities: list[dict[str, Any]]) -> str | None:
    """The intent a message's words name unambiguously, or None.

    Args:
        text: The message.
        entities: Its entities; a complaint category means the message tells a report
            ("ada miras di pasar, rahasia kan?"), which the form reads as such.

    Returns:
        ``greet``/``thank`` for pure small talk, ``ask_confidentiality`` for the
        confidentiality question, ``share_location`` for a Google Maps link sent with at
        most a few words, ``check_status`` for a question about the follow-up of a report
        ("kapan ditindak min?", which DIET reads as nothing or as a new report),
        ``ask_authority`` for a question whose business a matter is ("yang mencopot satpol pp
        atau dinas?", read by DIET as nothing), None otherwise.
    """
    if is_bare_map_link(text):
        return SHARED_PLACE_INTENT
    small_talk = read_small_talk(text)
    if small_talk is not None:
        return SMALL_TALK_INTENTS[small_talk]
    if any(entity.get("entity") == "category" for entity in entities):
        return None
    if asks_confidentiality(text):
        return CONFIDENTIALITY_INTENT
    if asks_about_follow_up(text) and not any(
        entity.get("entity") == "ticket_id" for entity in entities
    ):
        return FOLLOW_UP_INTENT
    return AUTHORITY_INTENT if asks_about_remit(text) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TextIntentRules(GraphComponent):
    """Sets the intent of small talk, confidentiality and follow-up questions, map links."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config (none)."""
        return {}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The package source: a code change invalidates Rasa's training cache."""
        return source_fingerprint()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextIntentRules:
        """Creates the component."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent where the words decide; the ranking keeps DIET's guesses."""
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            entities = message.get(ENTITIES) or []
            name = intent_by_words(text, entities)
            if (
                name is None
                and intent.get("name") == OFF_TOPIC_INTENT
                and names_satpol_matter(text, entities, message.get(CATEGORY_RANKING_KEY))
            ):
                name = COMPLAINT_INTENT
            if name is None or intent.get("name") == name:
                continue
            if name == FOLLOW_UP_INTENT and intent.get("name") in KEPT_INTENTS:
                continue
            chosen = {"name": name, "confidence": 1.0}
            others = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get("name") != name
            ]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *others], add_to_output=True)
            said = {"intent": name, "nlu_intent": intent.get("name")}
            message.set(TEXT_RULE_KEY, said, add_to_output=True)
        return messages
