"""Meta's documented webhook examples, and helpers to wrap and serialise them.

The examples come from shared/reference/whatsapp-cloud-api.md §1.3-1.5, adapted to the test
phone number id.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from typing import Any

PNID = "106540352242922"
OTHER_PNID = "999999999999999"
DISPLAY = "15550783881"
CITIZEN = "6281234567890"
_counter = itertools.count(1)


def now_ts() -> str:
    """Current Unix time as Meta sends it (a string)."""
    return str(int(time.time()))


def wamid(tag: str = "") -> str:
    """A unique message id shaped like Meta's."""
    return f"wamid.HBgLTEST{tag}{next(_counter):08d}FQIAEhgUM0E0QTY1OTlBRUUwMzgxMDE0NEYA"


EXAMPLES: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": {"body": "Does it come in another color?"}},
    "text_id": {"type": "text", "text": {"body": "ada PKL jualan di trotoar pasar Paringin 😡"}},
    "button": {
        "context": {"from": DISPLAY, "id": "wamid.template"},
        "type": "button",
        "button": {"payload": "/affirm", "text": "Ya"},
    },
    "button_plain": {
        "context": {"from": DISPLAY, "id": "wamid.template"},
        "type": "button",
        "button": {"payload": "Ya, selesai", "text": "Ya, selesai"},
    },
    "button_reply": {
        "context": {"from": DISPLAY, "id": "wamid.buttons"},
        "type": "interactive",
        "interactive": {
            "type": "button_reply",
            "button_reply": {"id": '/report_complaint{"category":"pkl"}', "title": "PKL"},
        },
    },
    "list_reply": {
        "context": {"from": DISPLAY, "id": "wamid.list"},
        "type": "interactive",
        "interactive": {
            "type": "list_reply",
            "list_reply": {
                "id": "priority_express",
                "title": "Priority Mail Express",
                "description": "Next Day to 2 Days",
            },
        },
    },
    "location": {
        "context": {"from": DISPLAY, "id": "wamid.locreq"},
        "type": "location",
        "location": {
            "latitude": -2.3251,
            "longitude": 115.4726,
            "name": "Pasar Paringin",
            "address": "Jl. Jend. A. Yani, Paringin",
            "url": "https://maps.example/x",
        },
    },
    "image": {
        "type": "image",
        "image": {
            "caption": "foto lokasi",
            "mime_type": "image/jpeg",
            "sha256": "81d3bd8a",
            "id": "2754859441498128",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=2754859441498128",
        },
    },
    "video": {
        "type": "video",
        "video": {
            "caption": "rekaman",
            "mime_type": "video/mp4",
            "sha256": "abcd",
            "id": "1234567890123",
        },
    },
    "document": {
        "type": "document",
        "document": {
            "caption": "my receipt",
            "filename": "receipt.pdf",
            "mime_type": "application/pdf",
            "sha256": "V5OPpLD/",
            "id": "622684793477189",
        },
    },
    "audio": {
        "type": "audio",
        "audio": {
            "mime_type": "audio/ogg; codecs=opus",
            "sha256": "x",
            "id": "9876543210",
            "voice": True,
        },
    },
    "sticker": {
        "type": "sticker",
        "sticker": {"mime_type": "image/webp", "sha256": "x", "id": "4444", "animated": False},
    },
    "reaction": {
        "type": "reaction",
        "reaction": {"message_id": "wamid.bot", "emoji": "\U0001f44d"},
    },
    "unsupported": {
        "errors": [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ],
        "type": "unsupported",
        "unsupported": {"type": "edit"},
    },
    "system": {
        "type": "system",
        "system": {
            "body": "User A changed from 6281234567890 to 6289999999999",
            "wa_id": "6289999999999",
            "type": "user_changed_number",
        },
    },
    "contacts": {
        "type": "contacts",
        "contacts": [{"name": {"formatted_name": "Budi"}, "phones": [{"phone": "+62811"}]}],
    },
}


def message(
    kind: str, sender: str = CITIZEN, msg_id: str | None = None, ts: str | None = None
) -> dict[str, Any]:
    """One ``messages[]`` item from :data:`EXAMPLES`."""
    item = copy.deepcopy(EXAMPLES[kind])
    return {"from": sender, "id": msg_id or wamid(kind), "timestamp": ts or now_ts(), **item}


def value(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    pnid: str = PNID,
) -> dict[str, Any]:
    """A ``changes[].value`` object."""
    result: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY, "phone_number_id": pnid},
    }
    if messages is not None:
        result["contacts"] = [
            {"profile": {"name": "Sheena Nelson"}, "wa_id": m.get("from")} for m in messages[:1]
        ]
        result["messages"] = messages
    if statuses is not None:
        result["statuses"] = statuses
    return result


def envelope(*values: dict[str, Any], entries: int = 1) -> dict[str, Any]:
    """The webhook envelope; ``entries`` > 1 spreads the values over several entries."""
    entry_list: list[dict[str, Any]] = []
    chunks = [list(values[i::entries]) for i in range(entries)]
    for index, chunk in enumerate(chunks):
        entry_list.append(
            {"id": f"10254{index}", "changes": [{"field": "messages", "value": v} for v in chunk]}
        )
    return {"object": "whatsapp_business_account", "entry": entry_list}


def status(
    msg_id: str, state: str, recipient: str = CITIZEN, error_code: int | None = None
) -> dict[str, Any]:
    """One ``statuses[]`` item (Meta's status webhook shape)."""
    item: dict[str, Any] = {
        "id": msg_id,
        "status": state,
        "timestamp": now_ts(),
        "recipient_id": recipient,
        "pricing": {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        },
    }
    if error_code is not None:
        item["errors"] = [
            {
                "code": error_code,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {
                    "details": "Message failed to send because more than 24 hours have passed"
                },
                "href": "/documentation/business-messaging/whatsapp/support/error-codes",
            }
        ]
    return item


def to_bytes(payload: Any) -> bytes:
    """Serialises like Meta (escaped unicode)."""
    return json.dumps(payload, ensure_ascii=True).encode("ascii")
