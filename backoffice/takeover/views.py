"""Pages of the human takeover: the "needs a person" list and the takeover page.

Citizens appear only under a pseudonym (``Warga-3FA2C1D9``); links use the blind index of the
sender id, never the number. The reporter's identity stays behind the logged "Tampilkan
identitas" action of the ticket page.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth import Role, User
from backoffice.db import DbSession
from backoffice.errors import PageError
from backoffice.permissions import require_roles
from backoffice.templating import NOTICES, redirect, render
from lalisa.core.contacts import citizen_address
from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher
from lalisa.core.settings import get_settings
from lalisa.takeover.chat import read_chat
from lalisa.takeover.errors import (
    OutsideServiceWindow,
    RasaApiError,
    TakeoverConflict,
    TakeoverError,
)
from lalisa.takeover.needs_person import (
    needs_person,
    waiting,
)
from lalisa.takeover.rasa_api import RasaClient, get_rasa_client
from lalisa.takeover.service import (
    active_takeover,
    find_sender,
    hand_back,
    open_tickets_of,
    pseudonym,
    replies_of,
    send_admin_reply,
    take_over,
)
from lalisa.tickets.categories import category_label
from lalisa.tickets.labels import STAFF_STATUS_LABELS
from lalisa.tickets.models import Reporter

router = APIRouter(tags=["takeover"])

TAKEOVER_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN)
"""Who may see the list and answer citizens (the SOP's admin; superadmin as a stand-in)."""
Admin = Annotated[User, Depends(require_roles(*TAKEOVER_ROLES))]

LIST_PATH: Final = "/perlu-petugas"
_SENDER_REF = re.compile(r"[0-9a-f]{64}")

NOTICES.update(
    {
        "takeover_started": "Percakapan diambil alih. Asisten berhenti menjawab warga ini.",
        "takeover_handed_back": "Percakapan dikembalikan ke asisten.",
        "takeover_reply_sent": "Balasan dimasukkan ke antrean pengiriman WhatsApp.",
    }
)


def rasa_client() -> RasaClient:
    """The Rasa API client (a dependency, so tests can substitute a fake Rasa)."""
    return get_rasa_client()


Rasa = Annotated[RasaClient, Depends(rasa_client)]


def _checked(sender_ref: str) -> str:
    if not _SENDER_REF.fullmatch(sender_ref):
        raise PageError(404, "Percakapan tidak ditemukan.")
    return sender_ref


def _page_path(sender_ref: str) -> str:
    return f"/ambil-alih/{sender_ref}"


# --------------------------------------------------------------------------- the list


@router.get(LIST_PATH, response_class=HTMLResponse)
async def needs_person_list(request: Request, db: DbSession, user: Admin) -> HTMLResponse:
    """Conversations waiting for a person, and the ones being answered by one."""
    entries = await needs_person(db)
    pending = waiting(entries)
    return render(
        request,
        "takeover/list.html",
        {
            "waiting": pending,
            "taken": [item for item in entries if item.takeover is not None],
            "summary_key": _summary_key(pending),
            "status_labels": STAFF_STATUS_LABELS,
        },
    )


def _summary_key(pending: list[Any]) -> str:
    latest = max((item.latest for item in pending), default=None)
    return f"{len(pending)}:{latest.isoformat() if latest else '-'}"


@router.get(f"{LIST_PATH}/ringkasan")
async def needs_person_summary(db: DbSession, _user: Admin) -> JSONResponse:
    """Polling data of the list's alert: how many wait, and a key that changes on news."""
    pending = waiting(await needs_person(db))
    return JSONResponse(
        {"waiting": len(pending), "key": _summary_key(pending)},
        headers={"Cache-Control": "no-store"},
    )


# ------------------------------------------------------------------------ takeover page


async def _reporter_name(db: AsyncSession, sender_ref: str) -> str | None:
    token = await db.scalar(
        select(Reporter.name_encrypted).where(Reporter.phone_blind_index == sender_ref)
    )
    if not token:
        return None
    try:
        return get_identity_cipher().decrypt(token)
    except IdentityDecryptionError:
        return None


async def _page(
    request: Request,
    db: AsyncSession,
    user: User,
    sender_ref: str,
    *,
    error: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    try:
        sender_id = await find_sender(db, sender_ref)
    except IdentityDecryptionError as exc:
        raise PageError(500, "Identitas percakapan tidak dapat dibuka (kunci salah).") from exc
    if sender_id is None:
        raise PageError(404, "Percakapan tidak ditemukan.")
    lines = await read_chat(
        sender_id,
        reporter_name=await _reporter_name(db, sender_ref),
        phone=await citizen_address(db, sender_id),
    )
    takeover = await active_takeover(db, sender_ref)
    replies = await replies_of(db, sender_ref)
    return render(
        request,
        "takeover/conversation.html",
        {
            "sender_ref": sender_ref,
            "pseudonym": pseudonym(sender_ref),
            "lines": lines,
            "last_id": max((line.event_id for line in lines or ()), default=0),
            "takeover": takeover,
            "mine": takeover is not None and takeover.taken_by == user.username,
            "may_end": takeover is not None
            and (takeover.taken_by == user.username or user.role is Role.SUPERADMIN),
            "tickets": await open_tickets_of(db, sender_ref),
            "replies": replies,
            "idle_minutes": get_settings().takeover.idle_minutes,
            "error": error,
            "draft": draft,
            "request_key": secrets.token_hex(16),
            "status_labels": STAFF_STATUS_LABELS,
            "category_label": category_label,
        },
        status_code=status_code,
    )


@router.get("/ambil-alih/{sender_ref}", response_class=HTMLResponse)
async def conversation_page(
    request: Request, db: DbSession, user: Admin, sender_ref: str
) -> HTMLResponse:
    """The whole chat, the citizen's open tickets, and the takeover controls."""
    return await _page(request, db, user, _checked(sender_ref))


@router.get("/ambil-alih/{sender_ref}/pesan")
async def conversation_updates(
    db: DbSession,
    _user: Admin,
    sender_ref: str,
    after: Annotated[int, Query(alias="setelah", ge=0)] = 0,
) -> JSONResponse:
    """New messages since ``setelah`` (a tracker event id) and the replies' delivery statuses."""
    sender_ref = _checked(sender_ref)
    sender_id = await find_sender(db, sender_ref)
    if sender_id is None:
        raise PageError(404, "Percakapan tidak ditemukan.")
    lines = await read_chat(
        sender_id,
        reporter_name=await _reporter_name(db, sender_ref),
        phone=await citizen_address(db, sender_id),
        after_id=after,
    )
    takeover = await active_takeover(db, sender_ref)
    replies = await replies_of(db, sender_ref)
    return JSONResponse(
        {
            "available": lines is not None,
            "messages": [line.as_json() for line in lines or ()],
            "taken_by": takeover.taken_by if takeover is not None else None,
            "replies": [
                {"id": reply.id, "status": outbox.status.value, "label": outbox.status.label}
                for reply, outbox in replies
            ],
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/ambil-alih/{sender_ref}")
async def take(
    request: Request, db: DbSession, user: Admin, rasa: Rasa, sender_ref: str
) -> Response:
    """Take the conversation over: the assistant stops answering this citizen."""
    sender_ref = _checked(sender_ref)
    try:
        await take_over(db, rasa, sender_ref=sender_ref, actor=user.username)
    except TakeoverConflict as exc:
        # Nothing was written (the savepoint rolled back); show who holds it.
        return await _page(request, db, user, sender_ref, error=exc.message, status_code=409)
    except RasaApiError as exc:
        raise PageError(503, exc.message) from exc
    except TakeoverError as exc:
        raise PageError(404, exc.message) from exc
    return redirect(_page_path(sender_ref), notice="takeover_started")


@router.post("/ambil-alih/{sender_ref}/kembalikan")
async def give_back(db: DbSession, user: Admin, rasa: Rasa, sender_ref: str) -> Response:
    """Hand the conversation back to the assistant."""
    sender_ref = _checked(sender_ref)
    try:
        await hand_back(
            db,
            rasa,
            sender_ref=sender_ref,
            actor=user.username,
            may_end_others=user.role is Role.SUPERADMIN,
        )
    except RasaApiError as exc:
        raise PageError(503, exc.message) from exc
    except TakeoverError as exc:
        raise PageError(409, exc.message) from exc
    return redirect(_page_path(sender_ref), notice="takeover_handed_back")


@router.post("/ambil-alih/{sender_ref}/balas")
async def reply(
    request: Request,
    db: DbSession,
    user: Admin,
    rasa: Rasa,
    sender_ref: str,
    text: Annotated[str, Form(alias="pesan")] = "",
    request_key: Annotated[str, Form(alias="kunci")] = "",
) -> Response:
    """Send a reply on WhatsApp (through the outbox) and into the conversation history."""
    sender_ref = _checked(sender_ref)
    if await find_sender(db, sender_ref) is None:
        raise PageError(404, "Percakapan tidak ditemukan.")
    try:
        await send_admin_reply(
            db,
            rasa,
            sender_ref=sender_ref,
            actor=user.username,
            text=text,
            request_key=request_key[:64] or None,
        )
    except RasaApiError as exc:
        raise PageError(503, exc.message) from exc
    except (OutsideServiceWindow, TakeoverError) as exc:
        # Refused before anything was written: show the page with the draft kept.
        return await _page(
            request, db, user, sender_ref, error=exc.message, draft=text, status_code=409
        )
    return redirect(_page_path(sender_ref), notice="takeover_reply_sent")
