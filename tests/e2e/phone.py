"""A simulated citizen's phone, driving the WhatsApp sandbox over HTTP.

Messages go out through the sandbox's simulator API as Meta-shaped, signed
webhooks to the real channel; the bot's replies are what the channel sent to
the sandbox's fake Graph API.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

REPLY_TIMEOUT_S = 60.0


def reply_text(message: dict[str, Any]) -> str:
    """The text a citizen reads in one outbound Graph API message, with its choices."""
    kind = message.get("type")
    if kind == "text":
        return str(message["text"]["body"])
    if kind == "interactive":
        interactive = message["interactive"]
        parts = [str(interactive.get("body", {}).get("text", ""))]
        action = interactive.get("action", {})
        parts += [b["reply"]["title"] for b in action.get("buttons", [])]
        for section in action.get("sections", []):
            parts += [row["title"] for row in section.get("rows", [])]
        return "\n".join(parts)
    if kind == "template":
        return f"[template {message['template']['name']}]"
    return f"[{kind}]"


def sandbox_events(
    sandbox_url: str, number: str, after: int, wait: float = 5
) -> list[dict[str, Any]]:
    """The sandbox's events of ``number`` after sequence number ``after``.

    The sandbox holds the request for up to ``wait`` seconds until there is one.
    """
    response = httpx.get(
        f"{sandbox_url}/sim/api/events",
        params={"phone": number, "after": after, "wait": wait},
        timeout=30,
    )
    response.raise_for_status()
    return list(response.json()["events"])


def choices(message: dict[str, Any]) -> dict[str, str]:
    """Button or list-row titles mapped to their reply ids."""
    action = message.get("interactive", {}).get("action", {})
    found = {b["reply"]["title"]: b["reply"]["id"] for b in action.get("buttons", [])}
    for section in action.get("sections", []):
        found.update({row["title"]: row["id"] for row in section.get("rows", [])})
    return found


@dataclass
class Phone:
    """One citizen's WhatsApp, talking to La-Lisa through the sandbox."""

    sandbox_url: str
    number: str
    name: str = "Warga Uji"
    seen: int = 0
    transcript: list[str] = field(default_factory=list)
    last_messages: list[dict[str, Any]] = field(default_factory=list)

    def _send(self, payload: dict[str, Any]) -> None:
        response = httpx.post(
            f"{self.sandbox_url}/sim/api/send",
            json={"phone": self.number, "name": self.name, **payload},
            timeout=30,
        )
        response.raise_for_status()

    def text(self, body: str) -> None:
        """Types a message."""
        self._send({"kind": "text", "text": body})

    def tap(self, title: str) -> None:
        """Taps a reply button or list row of the latest bot messages by its title."""
        for message in reversed(self.last_messages):
            reply_id = choices(message).get(title)
            if reply_id is not None:
                kind = "list_reply" if message["interactive"]["type"] == "list" else "button_reply"
                self._send({"kind": kind, "id": reply_id, "title": title})
                return
        raise AssertionError(f"no choice {title!r} in {self.last_messages}")

    def location(self, latitude: float, longitude: float, place: str | None = None) -> None:
        """Shares a location pin, optionally labelled with a place name."""
        pin: dict[str, Any] = {"kind": "location", "latitude": latitude, "longitude": longitude}
        if place:
            pin["location_name"] = place
        self._send(pin)

    def photo(self, content: bytes, caption: str = "") -> None:
        """Attaches a JPEG photo."""
        response = httpx.post(
            f"{self.sandbox_url}/sim/api/upload",
            data={"phone": self.number, "name": self.name, "caption": caption},
            files={"file": ("bukti.jpg", content, "image/jpeg")},
            timeout=30,
        )
        response.raise_for_status()

    def wait_for(self, expected: str, timeout: float = REPLY_TIMEOUT_S) -> str:
        """Collects bot replies until one contains ``expected``; returns all of them."""
        deadline = time.monotonic() + timeout
        collected: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            for event in sandbox_events(self.sandbox_url, self.number, self.seen):
                self.seen = max(self.seen, int(event["seq"]))
                if event.get("kind") == "out":
                    collected.append(event["message"])
                    self.transcript.append(reply_text(event["message"]))
            texts = "\n".join(reply_text(m) for m in collected)
            if expected in texts:
                self.last_messages = collected
                return texts
        raise AssertionError(
            f"no reply containing {expected!r} within {timeout}s; got:\n"
            + "\n---\n".join(reply_text(m) for m in collected)
        )
