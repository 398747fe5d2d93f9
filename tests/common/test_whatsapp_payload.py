"""Parser tests: Meta's example payloads for every inbound type, and a fuzz test."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lalisa_common.whatsapp.payload import (
    ACTION_IGNORE,
    ACTION_MEDIA,
    ACTION_RASA,
    ACTION_REPLY,
    parse_webhook,
)
from lalisa_common.whatsapp.signature import sign, verify
from tests.common.payloads import (
    CITIZEN,
    EXAMPLES,
    OTHER_PNID,
    PNID,
    envelope,
    message,
    status,
    value,
)


def parse_one(kind: str) -> Any:
    parsed = parse_webhook(envelope(value([message(kind)])), PNID)
    assert len(parsed.messages) == 1
    return parsed.messages[0]


def test_text_goes_to_rasa_verbatim() -> None:
    msg = parse_one("text_id")
    assert msg.action == ACTION_RASA
    assert msg.text == "ada PKL jualan di trotoar pasar Paringin 😡"
    assert msg.sender_id == CITIZEN
    assert msg.metadata["wa_message_id"] == msg.wamid


def test_typed_slash_commands_are_parsed_as_words() -> None:
    def typed(body: str) -> Any:
        raw = message("text_id")
        raw["text"]["body"] = body
        return parse_webhook(envelope(value([raw])), PNID).messages[0]

    assert typed("/restart").text == "restart"
    forced = ' //report_complaint{"category":"pkl"}'
    assert typed(forced).text == 'report_complaint{"category":"pkl"}'
    assert typed("/").action == ACTION_IGNORE
    for attempt in ("/ /restart", "\t/restart", "\uff0frestart", "\u00a0/\u200b/ restart"):
        assert typed(attempt).text == "restart", attempt
    assert typed(" \u200b ").action == ACTION_IGNORE


def test_a_button_id_never_carries_a_control_intent() -> None:
    raw = message("button_reply")
    raw["interactive"]["button_reply"]["id"] = "/restart"
    assert parse_webhook(envelope(value([raw])), PNID).messages[0].text == "restart"


def test_button_reply_uses_the_id_not_the_title() -> None:
    msg = parse_one("button_reply")
    assert msg.text == '/report_complaint{"category":"pkl"}'
    assert msg.metadata["reply_title"] == "PKL"
    assert msg.metadata["wa_context_id"] == "wamid.buttons"


def test_list_reply_uses_the_id() -> None:
    msg = parse_one("list_reply")
    assert msg.action == ACTION_RASA
    assert msg.text == "priority_express"
    assert msg.metadata["reply_description"] == "Next Day to 2 Days"


def test_template_button_uses_payload_when_it_is_an_intent() -> None:
    assert parse_one("button").text == "/affirm"
    assert parse_one("button_plain").text == "Ya, selesai"


def test_location_becomes_share_location_with_json_entities() -> None:
    msg = parse_one("location")
    assert msg.text == '/share_location{"latitude": -2.3251, "longitude": 115.4726}'
    entities = json.loads(msg.text[len("/share_location") :])
    assert entities == {"latitude": -2.3251, "longitude": 115.4726}
    assert msg.metadata["name"] == "Pasar Paringin"
    assert msg.metadata["address"] == "Jl. Jend. A. Yani, Paringin"


def test_location_out_of_range_gets_a_polite_reply() -> None:
    bad = message("location")
    bad["location"]["latitude"] = 123.0
    parsed = parse_webhook(envelope(value([bad])), PNID)
    assert parsed.messages[0].action == ACTION_REPLY


def test_media_types_are_downloaded_first() -> None:
    for kind in ("image", "video", "document", "audio"):
        msg = parse_one(kind)
        assert msg.action == ACTION_MEDIA, kind
        assert msg.media is not None and msg.media.media_type == kind
        assert msg.media.media_id == EXAMPLES[kind][kind]["id"]
    assert parse_one("image").media.caption == "foto lokasi"
    assert parse_one("document").media.filename == "receipt.pdf"
    assert parse_one("audio").media.voice is True


def test_sticker_reaction_unsupported_contacts_get_replies() -> None:
    assert parse_one("sticker").reply_key == "sticker"
    assert parse_one("reaction").reply_key == "reaction"
    assert parse_one("unsupported").reply_key == "unsupported"
    assert parse_one("unsupported").metadata["error_code"] == 131051
    assert parse_one("contacts").action == ACTION_REPLY


def test_removed_reaction_and_system_messages_are_ignored() -> None:
    removed = message("reaction")
    removed["reaction"].pop("emoji")
    parsed = parse_webhook(envelope(value([removed])), PNID)
    assert parsed.messages[0].action == ACTION_IGNORE
    system = parse_one("system")
    assert system.action == ACTION_IGNORE
    assert system.metadata["system_type"] == "user_changed_number"


def test_media_too_large_error_gets_its_own_reply() -> None:
    item = message("unsupported")
    item["errors"][0]["code"] = 131052
    parsed = parse_webhook(envelope(value([item])), PNID)
    assert parsed.messages[0].reply_key == "media_too_large"


def test_username_users_fall_back_to_business_scoped_id() -> None:
    item = message("text")
    item.pop("from")
    item["from_user_id"] = "ID.13491208655302741918"
    parsed = parse_webhook(envelope(value([item])), PNID)
    assert parsed.messages[0].sender_id == "ID.13491208655302741918"


def test_other_phone_number_and_other_fields_are_skipped() -> None:
    parsed = parse_webhook(envelope(value([message("text")], pnid=OTHER_PNID)), PNID)
    assert parsed.messages == [] and parsed.skipped
    payload = envelope(value([message("text")]))
    payload["entry"][0]["changes"][0]["field"] = "message_template_status_update"
    assert parse_webhook(payload, PNID).messages == []
    assert parse_webhook({"object": "page"}, PNID).messages == []


def test_batches_keep_every_entry_change_message_and_status_in_order() -> None:
    values = [
        value([message("text"), message("location")]),
        value(statuses=[status("wamid.a", "sent"), status("wamid.a", "delivered")]),
        value([message("button_reply")]),
        value([message("image")]),
    ]
    parsed = parse_webhook(envelope(*values, entries=2), PNID)
    # entry 0 holds values 0 and 2, entry 1 holds values 1 and 3
    assert [m.message_type for m in parsed.messages] == ["text", "location", "interactive", "image"]
    assert [s.status for s in parsed.statuses] == ["sent", "delivered"]


def test_failed_status_carries_the_error() -> None:
    parsed = parse_webhook(
        envelope(value(statuses=[status("wamid.x", "failed", error_code=131047)])), PNID
    )
    assert parsed.statuses[0].error_code == 131047
    assert parsed.statuses[0].error_title == "Re-engagement message"


def test_value_errors_are_collected() -> None:
    item = value()
    item["errors"] = [{"code": 131000, "title": "Something went wrong"}]
    assert parse_webhook(envelope(item), PNID).errors[0]["code"] == 131000


def test_signature_roundtrip_and_rotation() -> None:
    body = b'{"a":"\\u00e9"}'
    header = sign(body, "one")
    assert verify(body, header, ["one"])
    assert verify(body, header, ["two", "one"])
    assert not verify(body, header, ["two"])
    assert not verify(body + b" ", header, ["one"])
    assert not verify(body, None, ["one"])
    assert not verify(body, "sha1=abc", ["one"])
    assert not verify(body, header, [])


# ---------------------------------------------------------------- fuzzing

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=12,
)
BASE_PAYLOADS = [envelope(value([message(kind)])) for kind in sorted(EXAMPLES)] + [
    envelope(value(statuses=[status("wamid.s", "failed", error_code=131026)]))
]
KEYS = [
    "object",
    "entry",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "messages",
    "statuses",
    "id",
    "from",
    "type",
    "timestamp",
    "text",
    "body",
    "interactive",
    "button_reply",
    "list_reply",
    "location",
    "latitude",
    "longitude",
    "image",
    "errors",
    "code",
    "status",
]


def _paths(node: Any, prefix: tuple = ()) -> list:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    payload = copy.deepcopy(draw(st.sampled_from(BASE_PAYLOADS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(payload)
        path = draw(st.sampled_from(paths))
        operation = draw(st.sampled_from(["replace", "delete", "add", "retype"]))
        if not path:
            payload = draw(JSON_VALUES) if operation == "replace" else payload
            continue
        parent: Any = payload
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if operation == "replace":
            parent[last] = draw(JSON_VALUES)
        elif operation == "delete":
            del parent[last]
        elif operation == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(JSON_VALUES)
        elif operation == "retype":
            current = parent[last]
            parent[last] = [current] if not isinstance(current, list) else {"0": current}
    return payload


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_payloads())
def test_parser_never_raises_on_mutated_payloads(payload: Any) -> None:
    parsed = parse_webhook(payload, PNID)
    for msg in parsed.messages:
        assert isinstance(msg.wamid, str) and msg.wamid
        assert isinstance(msg.sender_id, str) and msg.sender_id
        assert msg.action in (ACTION_RASA, ACTION_MEDIA, ACTION_REPLY, ACTION_IGNORE)
        if msg.action == ACTION_RASA:
            assert isinstance(msg.text, str) and msg.text
        if msg.text and msg.text.startswith("/share_location"):
            json.loads(msg.text[len("/share_location") :])
        json.dumps(msg.metadata)  # metadata must be storable in the tracker
    for item in parsed.statuses:
        assert isinstance(item.wamid, str) and isinstance(item.status, str)
