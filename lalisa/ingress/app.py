"""The WhatsApp webhook receiver: verify, filter, store, acknowledge; never wait for Rasa.

``GET /webhooks/whatsapp/webhook`` answers Meta's handshake; ``POST`` checks
``X-Hub-Signature-256`` over the raw body (every accepted secret), keeps only the configured
business number, writes each new message to the inbound queue and applies the status webhooks
to the outbound log, all committed before the 200. A redelivered message id is acknowledged and
not stored again. When the database cannot take the write the answer is 503, so Meta delivers
again later; nothing is ever acknowledged that is not stored.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from lalisa.ingress.queue import InboundQueue
from lalisa.ingress.settings import WEBHOOK_PATH, ReceiverSettings
from lalisa_common.whatsapp.payload import parse_webhook
from lalisa_common.whatsapp.signature import SIGNATURE_HEADER, verify

logger = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    """The request body passed the configured cap."""


async def read_capped(request: Request, limit: int) -> bytes:
    """Reads the body, refusing it as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class Receiver:
    """The request handlers, bound to settings and a queue."""

    def __init__(self, settings: ReceiverSettings, queue: InboundQueue) -> None:
        """Initialises the receiver."""
        self.settings = settings
        self.queue = queue

    async def health(self, _: Request) -> Response:
        """200 while the queue table can be read, else 503."""
        try:
            await self.queue.ping()
        except Exception as exc:
            return JSONResponse(
                {"status": "database unavailable", "error": exc.__class__.__name__}, 503
            )
        return JSONResponse({"status": "ok"})

    async def handshake(self, request: Request) -> Response:
        """Echoes ``hub.challenge`` when the mode and the verify token are right."""
        params = request.query_params
        mode, challenge = params.get("hub.mode"), params.get("hub.challenge")
        given = (params.get("hub.verify_token") or "").encode("utf-8")
        expected = self.settings.verify_token.encode("utf-8")
        if mode == "subscribe" and hmac.compare_digest(given, expected) and challenge is not None:
            logger.info("WhatsApp webhook verified by Meta")
            return PlainTextResponse(challenge)
        logger.warning("WhatsApp webhook verification refused (mode=%r)", (mode or "")[:32])
        return PlainTextResponse("forbidden", 403)

    async def receive(self, request: Request) -> Response:
        """Verifies, stores and acknowledges one webhook delivery."""
        remote = request.client.host if request.client else "?"
        try:
            body = await read_capped(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            logger.warning("WhatsApp webhook from %s refused: body above the cap", remote)
            return PlainTextResponse("payload too large", 413)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not verify(body, signature, self.settings.app_secrets):
            logger.warning(
                "WhatsApp webhook rejected from %s: %s signature (%d bytes)",
                remote,
                "missing" if not signature else "invalid",
                len(body),
            )
            return PlainTextResponse("invalid signature", 403)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            logger.warning("WhatsApp webhook from %s: signed body is not JSON; ignored", remote)
            return PlainTextResponse("OK")
        parsed = parse_webhook(payload, self.settings.phone_number_id)
        for reason in parsed.skipped:
            logger.info("WhatsApp webhook part ignored: %s", reason)
        for error in parsed.errors:
            logger.error("WhatsApp webhook reports an error: %.500r", error)
        try:
            new = await self.queue.accept(
                parsed.messages, parsed.statuses, self.settings.phone_number_id
            )
        except Exception:
            logger.exception("WhatsApp queue unavailable; asking Meta to redeliver")
            return PlainTextResponse("temporarily unavailable", 503)
        for message, inserted in zip(parsed.messages, new, strict=True):
            if not inserted:
                logger.info("WhatsApp message %s is a redelivery; ignored", message.wamid)
        return PlainTextResponse("OK")


def create_app(
    settings: ReceiverSettings | None = None, queue: InboundQueue | None = None
) -> Starlette:
    """Builds the receiver application (settings from the environment by default)."""
    settings = settings or ReceiverSettings.from_env()
    queue = queue or InboundQueue(settings.database_url)
    receiver = Receiver(settings, queue)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            await queue.ping()
        except Exception:
            logger.exception(
                "The WhatsApp queue table is not readable; run `python -m lalisa.migrate`. "
                "Deliveries get 503 until it is."
            )
        logger.info(
            "WhatsApp webhook receiver on http://%s:%d%s",
            settings.host,
            settings.port,
            WEBHOOK_PATH,
        )
        yield
        await queue.close()

    routes = [
        Route("/health", receiver.health, methods=["GET"]),
        Route("/webhooks/whatsapp/", receiver.health, methods=["GET"]),
        Route(WEBHOOK_PATH, receiver.handshake, methods=["GET"]),
        Route(WEBHOOK_PATH, receiver.receive, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.receiver = receiver
    return app
