"""TextIntentRules: small talk, confidentiality and follow-up questions get their words' intent."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.training_data.message import Message

from lalisa_rasa.nlu.text_rules import TEXT_RULE_KEY, TextIntentRules

CONTEXT = ExecutionContext(GraphSchema({}), "test")


def parsed(text: str, intent: str, confidence: float = 0.7, **data: Any) -> Message:
    """A message as DIET and the fallback classifier left it."""
    message = Message(data={"text": text, **data})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set(
        "intent_ranking",
        [
            {"name": intent, "confidence": confidence},
            *([{"name": "greet", "confidence": 0.1}] if intent != "greet" else []),
        ],
        add_to_output=True,
    )
    return message


def run(message: Message) -> Message:
    [done] = TextIntentRules.create({}, None, None, CONTEXT).process([message])  # type: ignore[arg-type]
    return done


@pytest.mark.parametrize(
    ("text", "nlu_intent", "intent"),
    [
        ("apa kabar min", "out_of_scope", "greet"),  # "apa kabar" is in the off-topic corpus
        ("baapa kabar pian", "nlu_fallback", "greet"),
        ("assalamualaikum", "greet", "greet"),
        ("makasih ya", "nlu_fallback", "thank"),
        ("ini rahasia kan?", "cancel", "ask_confidentiality"),
        ("identitas pelapor aman kah?", "deny", "ask_confidentiality"),
        ("kada disabutakan ngaran ulun lah?", "nlu_fallback", "ask_confidentiality"),
        ("yang bongkar nanti satpol pp atau dinas pupr?", "nlu_fallback", "ask_authority"),
        ("ini urusan satpol pp kah atau pihak desa?", "thank", "ask_authority"),
        # The follow-up of a report asks how it stands (the status action answers both).
        ("kapan ditindak min?", "nlu_fallback", "check_status"),
        ("kira2 kapan petugas datang", "request_human", "check_status"),
        ("nanti saya dikabari kah?", "report_complaint", "check_status"),
        ("berapa lama diprosesnya?", "check_status", "check_status"),
        # A Google Maps link pasted alone shares a place (answered with how to share it).
        ("https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8", "nlu_fallback", "share_location"),
        ("ini lokasinya min https://maps.app.goo.gl/7xQp", "out_of_scope", "share_location"),
    ],
)
def test_the_words_decide_the_intent(text: str, nlu_intent: str, intent: str) -> None:
    message = run(parsed(text, nlu_intent))
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == intent
    assert [r["name"] for r in ranking].count(intent) == 1
    if nlu_intent == intent:
        # DIET agreed: its parse is left as it was.
        assert message.get("intent") == {"name": intent, "confidence": 0.7}
        assert message.get(TEXT_RULE_KEY) is None
    else:
        assert message.get("intent") == {"name": intent, "confidence": 1.0}
        assert message.get(TEXT_RULE_KEY) == {"intent": intent, "nlu_intent": nlu_intent}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("selamat pagi, ada pkl di trotoar pasar paringin", "report_complaint"),
        ("ya makasih", "affirm"),
        ("tolong rahasiakan nama saya", "report_complaint"),
        ("batal aja", "cancel"),
        # Asks for news of a report, not how the assistant is.
        ("kabarnya gimana min?", "check_status"),
        ("makasih min, kabarnya gimana?", "check_status"),
        # Refuses the name at the name question (DIET's fallback reaches the form's reader).
        ("kan td udh bilang min, rahasia aja", "nlu_fallback"),
        ("rahasia haja lah", "deny"),
        # A request is no question; a question naming a ticket is a status check as DIET
        # reads it; an emergency keeps its numbers first.
        ("tolong segera ditindak min", "report_complaint"),
        ("status LLS-2026-000123 sudah diproses?", "check_status"),
        ("kapan polisi datang, ada yang bawa senjata?", "emergency"),
    ],
)
def test_other_messages_keep_their_intent(text: str, intent: str) -> None:
    message = run(parsed(text, intent, 0.8))
    assert message.get("intent") == {"name": intent, "confidence": 0.8}
    assert message.get(TEXT_RULE_KEY) is None


def test_a_question_that_names_a_complaint_category_stays_a_complaint() -> None:
    """A question naming a category ("ada miras lagi, rahasia kan?") tells the report."""
    message = parsed(
        "ada miras lagi, rahasia kan?",
        "report_complaint",
        entities=[{"entity": "category", "value": "miras"}],
    )
    assert run(message).get("intent")["name"] == "report_complaint"


def with_category(message: Message, value: str, confidence: float, none: float) -> Message:
    """The category classifier's entity and ranking on a parsed message."""
    entity = {"entity": "category", "value": value, "confidence": confidence}
    message.set("entities", [entity], add_to_output=True)
    ranking = {"ranking": [{"value": value, "confidence": confidence}], "none_confidence": none}
    message.set("category_ranking", ranking, add_to_output=True)
    return message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("warga resah, ada orang gangguan jiwa bawa senjata tajam keliling kampung", "odgj"),
        ("ada yg bikin warung di atas saluran air, kalau hujan jalan tergenang", "bangunan_liar"),
    ],
)
def test_a_satpol_pp_matter_read_as_off_topic_is_a_complaint(text: str, value: str) -> None:
    message = run(with_category(parsed(text, "out_of_scope", 0.8), value, 0.8, 0.1))
    assert message.get("intent")["name"] == "report_complaint"
    said = {"intent": "report_complaint", "nlu_intent": "out_of_scope"}
    assert message.get(TEXT_RULE_KEY) == said


@pytest.mark.parametrize(
    ("text", "confidence", "none"),
    [
        ("mau perpanjang ktp tapi antre lama, ada calo juga", 0.9, 0.05),  # another agency
        ("review warung: tempatnya bersih, parkiran luas", 0.6, 0.4),  # "no category" likely
        ("berita hari ini tentang pasar", 0.4, 0.2),  # the category itself unsure
    ],
)
def test_off_topic_without_a_clear_satpol_pp_matter_stays_off_topic(
    text: str, confidence: float, none: float
) -> None:
    message = run(with_category(parsed(text, "out_of_scope", 0.8), "pkl", confidence, none))
    assert message.get("intent")["name"] == "out_of_scope"


def test_a_follow_up_question_naming_a_ticket_keeps_the_nlu_intent() -> None:
    """A follow-up question naming a ticket is left to DIET's status check of that number."""
    message = parsed(
        "kapan ditindak LLS-2026-000123?",
        "check_status",
        entities=[{"entity": "ticket_id", "value": "LLS-2026-000123"}],
    )
    assert run(message).get(TEXT_RULE_KEY) is None
