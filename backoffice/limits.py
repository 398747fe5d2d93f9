"""Request-body cap of the back office (``BACKOFFICE_MAX_BODY_BYTES``).

uvicorn reads any body a client sends; the reverse proxy caps it too, but the back office must
not depend on a proxy being configured. A declared ``Content-Length`` above the cap is refused
before the application runs; a body sent without one (chunked) is counted while it is read and
refused with the same 413 page as soon as it passes the cap.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = 413


class BodyLimitMiddleware:
    """Refuses request bodies larger than ``max_bytes`` with HTTP 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap an ASGI application."""
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what is actually received."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await _refuse(send)
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the application: its error handler renders the 413 page.
                    raise HTTPException(TOO_LARGE)
            return message

        await self.app(scope, counting_receive, send)


async def _refuse(send: Send) -> None:
    body = b"Permintaan terlalu besar."
    await send(
        {
            "type": "http.response.start",
            "status": TOO_LARGE,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
