"""Pure parsing of WhatsApp Cloud API webhook payloads.

:func:`parse_webhook` turns any decoded JSON value into a :class:`ParsedWebhook`.
It never raises: malformed parts are skipped and counted, so a strange delivery
can never turn into an HTTP 500 (which Meta would retry for 7 days).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from lalisa_common.typed_text import neutralize_typed_text, safe_reply_payload

MEDIA_TYPES = ("image", "video", "document", "audio")
STATUS_VALUES = ("sent", "delivered", "read", "failed", "played", "deleted", "warning")

#: Kinds of handling for an inbound message.
ACTION_RASA = "rasa"  # send ``text`` to Rasa
ACTION_MEDIA = "media"  # download the media, then send ``/share_media{...}`` to Rasa
ACTION_REPLY = "reply"  # answer with a canned reply (``reply_key``), never reaches NLU
ACTION_IGNORE = "ignore"  # record only (system messages, removed reactions, empty text)

SHARE_LOCATION_INTENT = "share_location"
SHARE_MEDIA_INTENT = "share_media"
WELCOME_TEXT = "/greet"
#: Inbound error code: media the citizen sent was too large for WhatsApp to deliver.
ERROR_MEDIA_TOO_LARGE = 131052


@dataclass
class MediaRef:
    """A media attachment announced by a webhook (not downloaded yet).

    Attributes:
        media_id: WhatsApp media id (downloadable for 7 days).
        media_type: ``image``, ``video``, ``document`` or ``audio``.
        mime_type: MIME type announced by WhatsApp.
        sha256: Hash announced by WhatsApp (format varies; informational).
        caption: Caption typed by the citizen, if any.
        filename: File name of a document, if any.
        voice: True for a recorded voice note.
        url: Direct download URL when WhatsApp included one (not relied upon).
    """

    media_id: str
    media_type: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = False
    url: str | None = None


@dataclass
class InboundMessage:
    """One item of ``messages[]`` and what to do with it.

    Attributes:
        wamid: WhatsApp message id (the dedupe key).
        sender_id: ``from`` (wa_id), or ``from_user_id`` when the number is hidden.
        message_type: WhatsApp ``type`` of the message.
        timestamp: Unix seconds from the webhook, when parseable.
        action: One of ``rasa``, ``media``, ``reply``, ``ignore``.
        text: Text for Rasa (``rasa`` action).
        reply_key: Canned reply key in :mod:`lalisa_rasa.channels.texts` (``reply`` action).
        metadata: Metadata for the Rasa ``UserMessage``.
        media: The attachment (``media`` action).
        raw: The original message object, kept for the inbound log.
    """

    wamid: str
    sender_id: str
    message_type: str
    timestamp: int | None
    action: str
    text: str | None = None
    reply_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    media: MediaRef | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class StatusUpdate:
    """One item of ``statuses[]`` (delivery report of an outbound message).

    Attributes:
        wamid: Id of the outbound message.
        status: ``sent``, ``delivered``, ``read``, ``failed``, ...
        timestamp: Unix seconds, when parseable.
        recipient_id: The citizen's wa_id.
        error_code: First error code for a ``failed`` status.
        error_title: First error title for a ``failed`` status.
        callback_data: ``biz_opaque_callback_data`` echoed by Meta.
    """

    wamid: str
    status: str
    timestamp: int | None = None
    recipient_id: str | None = None
    error_code: int | None = None
    error_title: str | None = None
    callback_data: str | None = None


@dataclass
class ParsedWebhook:
    """Everything useful found in one webhook delivery.

    Attributes:
        messages: Inbound messages for the configured phone number, in order.
        statuses: Status updates for the configured phone number, in order.
        errors: ``value.errors`` items (system, app or account level problems).
        skipped: Human-readable reasons for every part that was ignored.
    """

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 19:
        return int(value.strip())
    return None


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) > bound:
        return None
    return number


def intent_text(intent: str, entities: dict[str, Any]) -> str:
    """Builds the ``/intent{json}`` text Rasa's regex message handler understands.

    Args:
        intent: Intent name.
        entities: Entities; serialised with :func:`json.dumps` (double quotes).

    Returns:
        For example ``/share_location{"latitude": -2.33, "longitude": 115.47}``.
    """
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}"


def _first_error(errors: Any) -> dict[str, Any]:
    for item in _list(errors):
        if isinstance(item, dict):
            return item
    return {}


def parse_message(msg: Any, value: dict[str, Any]) -> InboundMessage | None:
    """Classifies one ``messages[]`` item.

    Args:
        msg: The message object (any JSON value).
        value: The enclosing ``changes[].value`` (for contacts and metadata).

    Returns:
        The message, or None when it has no id or no sender (it cannot be handled).
    """
    if not isinstance(msg, dict):
        return None
    wamid = _str(msg.get("id"))
    sender = _str(msg.get("from")) or _str(msg.get("from_user_id"))
    if wamid is None or sender is None:
        return None
    mtype = _str(msg.get("type")) or "unknown"
    context = _dict(msg.get("context"))
    metadata: dict[str, Any] = {
        "wa_message_id": wamid,
        "wa_type": mtype,
        "wa_timestamp": _str(msg.get("timestamp")),
        "wa_context_id": _str(context.get("id")),
        "wa_phone_number_id": _str(_dict(value.get("metadata")).get("phone_number_id")),
        "wa_user_id": _str(msg.get("from_user_id")),
    }
    result = InboundMessage(
        wamid=wamid,
        sender_id=sender,
        message_type=mtype,
        timestamp=_int(msg.get("timestamp")),
        action=ACTION_REPLY,
        reply_key="unsupported",
        metadata=metadata,
        raw=msg,
    )
    body = _dict(msg.get(mtype))

    if mtype == "text":
        text = body.get("body")
        if isinstance(text, str):
            # Rasa reads a leading "/" as an intent to force ("/restart" would lift an admin's
            # takeover, "/affirm" would skip NLU); typed text is always parsed as words.
            text = neutralize_typed_text(text)
        if isinstance(text, str) and text.strip():
            result.action, result.text, result.reply_key = ACTION_RASA, text, None
        else:
            result.action, result.reply_key = ACTION_IGNORE, None
    elif mtype == "interactive":
        kind = _str(body.get("type"))
        if kind in ("button_reply", "list_reply"):
            reply = _dict(body.get(kind))
            reply_id = _str(reply.get("id"))
            title = _str(reply.get("title"))
            if reply_id or title:
                result.action, result.reply_key = ACTION_RASA, None
                result.text = safe_reply_payload(reply_id or title or "")
                metadata["reply_title"] = title
                if kind == "list_reply":
                    metadata["reply_description"] = _str(reply.get("description"))
    elif mtype == "button":
        payload = _str(body.get("payload"))
        label = _str(body.get("text"))
        if payload or label:
            result.action, result.reply_key = ACTION_RASA, None
            chosen = payload if payload and payload.startswith("/") else (label or payload)
            result.text = safe_reply_payload(chosen or "")
            metadata["reply_title"] = label
    elif mtype == "location":
        lat = _coordinate(body.get("latitude"), 90.0)
        lon = _coordinate(body.get("longitude"), 180.0)
        if lat is not None and lon is not None:
            result.action, result.reply_key = ACTION_RASA, None
            result.text = intent_text(SHARE_LOCATION_INTENT, {"latitude": lat, "longitude": lon})
            metadata.update(
                latitude=lat,
                longitude=lon,
                name=_str(body.get("name")),
                address=_str(body.get("address")),
                url=_str(body.get("url")),
            )
    elif mtype in MEDIA_TYPES:
        media_id = _str(body.get("id"))
        if media_id:
            result.action, result.reply_key = ACTION_MEDIA, None
            result.media = MediaRef(
                media_id=media_id,
                media_type=mtype,
                mime_type=_str(body.get("mime_type")),
                sha256=_str(body.get("sha256")),
                caption=_str(body.get("caption")),
                filename=_str(body.get("filename")),
                voice=body.get("voice") is True,
                url=_str(body.get("url")),
            )
        elif _int(_first_error(msg.get("errors")).get("code")) == ERROR_MEDIA_TOO_LARGE:
            result.reply_key = "media_too_large"
    elif mtype == "sticker":
        result.reply_key = "sticker"
    elif mtype == "reaction":
        if _str(body.get("emoji")) is None:  # a removed reaction
            result.action, result.reply_key = ACTION_IGNORE, None
        else:
            result.reply_key = "reaction"
    elif mtype == "system":
        result.action, result.reply_key = ACTION_IGNORE, None
        metadata["system_type"] = _str(body.get("type"))
        metadata["system_new_wa_id"] = _str(body.get("wa_id"))
    elif mtype == "request_welcome":
        result.action, result.reply_key, result.text = ACTION_RASA, None, WELCOME_TEXT
    elif mtype == "unsupported":
        code = _int(_first_error(msg.get("errors")).get("code"))
        metadata["error_code"] = code
        metadata["unsupported_type"] = _str(body.get("type"))
        if code == ERROR_MEDIA_TOO_LARGE:
            result.reply_key = "media_too_large"
    return result


def parse_status(item: Any) -> StatusUpdate | None:
    """Parses one ``statuses[]`` item.

    Args:
        item: The status object (any JSON value).

    Returns:
        The status update, or None if it has no id or no status.
    """
    if not isinstance(item, dict):
        return None
    wamid = _str(item.get("id"))
    status = _str(item.get("status"))
    if wamid is None or status is None:
        return None
    error = _first_error(item.get("errors"))
    title = _str(error.get("title")) or _str(error.get("message"))
    return StatusUpdate(
        wamid=wamid,
        status=status.lower()[:32],
        timestamp=_int(item.get("timestamp")),
        recipient_id=_str(item.get("recipient_id")) or _str(item.get("recipient_user_id")),
        error_code=_int(error.get("code")),
        error_title=title[:255] if title else None,
        callback_data=_str(item.get("biz_opaque_callback_data")),
    )


def parse_webhook(payload: Any, phone_number_id: str) -> ParsedWebhook:
    """Extracts every message and status of a webhook delivery, in order.

    Args:
        payload: Decoded JSON body (any JSON value).
        phone_number_id: Only events for this business number are kept.

    Returns:
        The parsed delivery; never raises for any JSON input.
    """
    parsed = ParsedWebhook()
    body = _dict(payload)
    if body.get("object") != "whatsapp_business_account":
        parsed.skipped.append(f"object={str(body.get('object'))[:64]!r}")
        return parsed
    for entry in _list(body.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            field_name = change.get("field")
            if field_name != "messages":
                parsed.skipped.append(f"field={str(field_name)[:64]!r}")
                continue
            value = _dict(change.get("value"))
            pnid = _str(_dict(value.get("metadata")).get("phone_number_id"))
            if pnid != phone_number_id:
                parsed.skipped.append(f"phone_number_id={str(pnid)[:64]!r}")
                continue
            for error in _list(value.get("errors")):
                if isinstance(error, dict):
                    parsed.errors.append(error)
            for raw in _list(value.get("messages")):
                message = parse_message(raw, value)
                if message is None:
                    parsed.skipped.append("message without id or sender")
                else:
                    parsed.messages.append(message)
            for raw in _list(value.get("statuses")):
                status = parse_status(raw)
                if status is None:
                    parsed.skipped.append("status without id or status")
                else:
                    parsed.statuses.append(status)
    return parsed
