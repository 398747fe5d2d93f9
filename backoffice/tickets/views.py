"""The complaint pages of the back office: inbox, ticket page, and every action on a ticket.

Status changes go through :mod:`lalisa.tickets.workflow`, which uses
:func:`lalisa.tickets.service.transition`.
Each action runs in a savepoint: when it is refused (stale form, forbidden transition, missing
field) nothing of it is saved, no WhatsApp message is queued, and the ticket page is shown
again with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth.roles import Role
from backoffice.conversations import ConversationExcerpt, conversation_excerpt
from backoffice.db import DbSession
from backoffice.errors import PageError
from backoffice.permissions import require_roles
from backoffice.templating import redirect, render
from backoffice.tickets.common import (
    ADMIN_ROLES,
    DECIDE_ROLES,
    DISPATCH_ROLES,
    INCOMPLETE_FORM,
    MEDIA_ROLES,
    TRC_ROLE_SET,
    VIEW_ROLES,
    assigned_to_ticket,
    attempt,
    base_url,
    kecamatan_names,
    parse_version,
    template_context,
    ticket_by_number,
    ticket_pin,
)
from lalisa.core import audit
from lalisa.core.crypto import IdentityDecryptionError
from lalisa.core.models import utcnow
from lalisa.core.paging import parse_page
from lalisa.dispatch.models import Priority
from lalisa.dispatch.photos import resolve_media_path
from lalisa.dispatch.service import officer_contacts, ticket_dispatches, trc_officers
from lalisa.notifications.models import OutboxMessage, OutboxStatus, RecipientKind
from lalisa.notifications.outbox import resend, ticket_notifications
from lalisa.runtime_settings.service import load_effective_settings
from lalisa.tickets import workflow
from lalisa.tickets.categories import CATEGORY_LABELS
from lalisa.tickets.identity import RevealedIdentity, reveal_identity
from lalisa.tickets.inbox import (
    InboxFilters,
    inbox_page,
    latest_ticket_id,
    status_counts,
)
from lalisa.tickets.labels import REASON_CODES
from lalisa.tickets.models import CLOSED_STATUSES, Ticket, TicketMedia, TicketNote, TicketStatus
from lalisa.tickets.notes import add_note
from lalisa.tickets.sla import sla_for_ticket
from lalisa.tickets.trc import dispatch_ticket
from lalisa.tickets.workflow import (
    WorkflowError,
    clear_review_flag,
    close_done,
    mark_duplicate,
    refuse,
    reopen,
    verify,
)
from lalisa.users.models import User

router = APIRouter(prefix="/aduan", tags=["tickets"])

Viewer = Annotated[User, Depends(require_roles(*VIEW_ROLES))]
Admin = Annotated[User, Depends(require_roles(*ADMIN_ROLES))]
Decider = Annotated[User, Depends(require_roles(*DECIDE_ROLES))]
Dispatcher = Annotated[User, Depends(require_roles(*DISPATCH_ROLES))]
MediaViewer = Annotated[User, Depends(require_roles(*MEDIA_ROLES))]

FormText = Annotated[str, Form(max_length=20_000)]
CONVERSATION_ROLES: Final = frozenset(DECIDE_ROLES)
"""Who sees the conversation excerpt (the citizen may have typed their name): not pimpinan."""
INLINE_MEDIA_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "video/mp4",
        "video/3gpp",
        "audio/ogg",
        "audio/mpeg",
        "audio/aac",
        "audio/mp4",
        "audio/amr",
        "application/pdf",
    }
)


# ---------------------------------------------------------------------------------- inbox


@router.get("", response_class=HTMLResponse)
async def inbox(
    request: Request,
    db: DbSession,
    _user: Viewer,
    status: str = "",
    kategori: str = "",
    kecamatan: str = "",
    dari: str = "",
    sampai: str = "",
    terlambat: str = "",
    ditandai: str = "",
    cari: str = "",
    halaman: str = "1",
) -> HTMLResponse:
    """The inbox: flagged and new complaints first, filters, search, counts per status."""
    now = utcnow()
    filters = InboxFilters.from_query(
        status=status,
        kategori=kategori,
        kecamatan=kecamatan,
        dari=dari,
        sampai=sampai,
        terlambat=terlambat,
        ditandai=ditandai,
        cari=cari,
    )
    effective = await load_effective_settings(db)
    sla = effective.sla()
    found = await inbox_page(db, filters, parse_page(halaman), now, sla)
    app_settings = effective.app_settings()
    rows = [
        (ticket, sla_for_ticket(ticket, now=now, settings=sla, app_settings=app_settings))
        for ticket in found.tickets
    ]
    return render(
        request,
        "tickets/inbox.html",
        {
            **template_context(),
            "rows": rows,
            "filters": filters,
            "problem": found.problem,
            "counts": await status_counts(db, now, sla),
            "statuses": list(TicketStatus),
            "categories": CATEGORY_LABELS,
            "kecamatan_names": kecamatan_names(),
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "latest_id": await latest_ticket_id(db),
        },
    )


@router.get("/ringkasan")
async def inbox_summary(db: DbSession, _user: Viewer) -> JSONResponse:
    """Counts for the inbox's auto-refresh script (no complaint content, no identity)."""
    now = utcnow()
    counts = await status_counts(db, now, (await load_effective_settings(db)).sla())
    return JSONResponse(
        {"latest_id": await latest_ticket_id(db), "counts": counts},
        headers={"Cache-Control": "no-store"},
    )


# ----------------------------------------------------------------------------- ticket page


def _user_can(role: Role, ticket: Ticket) -> dict[str, bool]:
    status = ticket.status
    admin = role in ADMIN_ROLES
    decide = role in DECIDE_ROLES
    return {
        "verify": admin and status is TicketStatus.BARU,
        "dispatch": role in DISPATCH_ROLES and status is TicketStatus.DIVERIFIKASI,
        "refuse": decide and status not in CLOSED_STATUSES,
        "redirect": admin and status in (TicketStatus.BARU, TicketStatus.DIVERIFIKASI),
        "duplicate": admin and status in (TicketStatus.BARU, TicketStatus.DIVERIFIKASI),
        "close": admin and status is TicketStatus.DALAM_PENANGANAN,
        "reopen": admin and status in CLOSED_STATUSES,
        "clear_review": admin and ticket.review_flagged_at is not None,
        "note": decide,
        "reveal": admin,
        "resend": admin,
    }


async def _officer_names(db: AsyncSession, messages: list[OutboxMessage]) -> dict[str, str]:
    """The names of the officers the ticket's messages went to, by recipient ref (one query)."""
    ids: set[int] = set()
    for message in messages:
        kind, _, ref = message.recipient_ref.partition(":")
        if message.recipient_kind is RecipientKind.OFFICER and kind == "user" and ref.isdecimal():
            ids.add(int(ref))
    if not ids:
        return {}
    rows = await db.execute(select(User.id, User.full_name).where(User.id.in_(sorted(ids))))
    return {f"user:{user_id}": name for user_id, name in rows.all()}


async def _ticket_page(
    request: Request,
    db: AsyncSession,
    user: User,
    number: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    identity: RevealedIdentity | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    ticket = await ticket_by_number(db, number)
    if ticket is None:
        raise PageError(404, "Aduan tidak ditemukan.")
    now = utcnow()
    effective = await load_effective_settings(db)
    notes = list(
        (
            await db.execute(
                select(TicketNote)
                .where(TicketNote.ticket_id == ticket.id)
                .order_by(TicketNote.at, TicketNote.id)
            )
        ).scalars()
    )
    messages = await ticket_notifications(db, ticket.id, now=now)
    can = _user_can(user.role, ticket)
    officers: list[tuple[User, bool]] = []
    if can["dispatch"]:
        trc = await trc_officers(db)
        contacts = await officer_contacts(db, [officer.id for officer in trc])
        officers = [(officer, officer.id in contacts) for officer in trc]
    conversation: ConversationExcerpt | None = None
    if user.role in CONVERSATION_ROLES:
        conversation = await conversation_excerpt(db, ticket)
    return render(
        request,
        "tickets/ticket.html",
        {
            **template_context(),
            "ticket": ticket,
            "sla": sla_for_ticket(
                ticket,
                now=now,
                settings=effective.sla(),
                app_settings=effective.app_settings(),
            ),
            "pin": ticket_pin(ticket, user.role),
            "notes": notes,
            "messages": messages,
            "officer_names": await _officer_names(db, messages),
            "dispatches": await ticket_dispatches(db, ticket.id),
            "officers": officers,
            "priorities": list(Priority),
            "reason_codes": REASON_CODES,
            "can": can,
            "error": error,
            "identity": identity,
            "form": form or {},
            "failed_status": OutboxStatus.FAILED,
            "conversation": conversation,
        },
        status_code=status_code,
    )


async def _ticket_or_404(db: AsyncSession, number: str) -> Ticket:
    ticket = await ticket_by_number(db, number)
    if ticket is None:
        raise PageError(404, "Aduan tidak ditemukan.")
    return ticket


@router.get("/{number}", response_class=HTMLResponse)
async def ticket_page(request: Request, db: DbSession, user: Viewer, number: str) -> HTMLResponse:
    """Everything about one complaint, with the actions the officer's role allows."""
    return await _ticket_page(request, db, user, number)


@router.get("/{number}/media/{media_id}")
async def ticket_media(db: DbSession, user: MediaViewer, number: str, media_id: int) -> Response:
    """Serve a photo/video the citizen sent, from LALISA_MEDIA_DIR, to signed-in officers.

    TRC officers get only the media of tickets they are dispatched to.
    """
    query = (
        select(TicketMedia)
        .join(Ticket, TicketMedia.ticket_id == Ticket.id)
        .where(TicketMedia.id == media_id, Ticket.number == number.strip().upper())
    )
    media = (await db.execute(query)).scalar_one_or_none()
    if media is None or media.ticket_id is None:
        raise PageError(404, "Berkas tidak ditemukan.")
    if user.role in TRC_ROLE_SET and not await assigned_to_ticket(db, user.id, media.ticket_id):
        raise PageError(404, "Berkas tidak ditemukan.")
    path = resolve_media_path(media.path)
    if path is None:
        raise PageError(404, "Berkas tidak tersedia di server.")
    return media_file_response(path, media.mime_type, f"aduan-{media.id}")


def media_file_response(path: Any, mime_type: str | None, name: str) -> FileResponse:
    """Serve a stored file: inline only for known media types, else as a download."""
    mime = (mime_type or "").split(";", 1)[0].strip().lower()
    if mime in INLINE_MEDIA_TYPES:
        return FileResponse(
            path,
            media_type=mime,
            content_disposition_type="inline",
            filename=name + path.suffix,
            headers={"Cache-Control": "private, no-store"},
        )
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=name + path.suffix,
        headers={"Cache-Control": "private, no-store"},
    )


# --------------------------------------------------------------------------------- actions

Action = Callable[[Ticket, int], Awaitable[object]]


async def _act(
    request: Request,
    db: AsyncSession,
    user: User,
    number: str,
    version: str,
    action: Action,
    notice: str,
    form: dict[str, str] | None = None,
) -> Response:
    """Run one action in a savepoint; show the page with the reason when it is refused."""
    ticket = await _ticket_or_404(db, number)
    # Plain values only after this point: a refused action rolls its savepoint back, which
    # expires the ticket object (reloading it lazily is not possible under asyncio).
    ticket_number = ticket.number
    expected = parse_version(version)

    async def refused(message: str, status_code: int) -> HTMLResponse:
        return await _ticket_page(
            request, db, user, ticket_number, error=message, status_code=status_code, form=form
        )

    if expected is None:
        return await refused(INCOMPLETE_FORM, 400)
    page = await attempt(db, lambda: action(ticket, expected), refused)
    return page or redirect(f"/aduan/{ticket_number}", notice=notice)


@router.post("/{number}/verifikasi", response_class=HTMLResponse)
async def verify_ticket(
    request: Request,
    db: DbSession,
    user: Admin,
    number: str,
    version: FormText = "",
    note: FormText = "",
) -> Response:
    """Baru → Diverifikasi (admin); the citizen is told."""

    async def action(ticket: Ticket, expected: int) -> object:
        return await verify(
            db, ticket, actor=user.username, expected_version=expected, note=note or None
        )

    return await _act(request, db, user, number, version, action, "ticket_verified")


@router.post("/{number}/disposisi", response_class=HTMLResponse)
async def dispatch(
    request: Request,
    db: DbSession,
    user: Dispatcher,
    number: str,
    version: FormText = "",
    officer_ids: Annotated[list[str] | None, Form(alias="officer_id")] = None,
    priority: FormText = "",
    instructions: FormText = "",
) -> Response:
    """Diverifikasi → Didisposisikan (verifikator): assign TRC officers and message them."""
    ids = sorted({int(raw) for raw in officer_ids or [] if raw.strip().isdigit()})

    async def action(ticket: Ticket, expected: int) -> object:
        chosen = list((await db.execute(select(User).where(User.id.in_(ids)))).scalars())
        if len(chosen) != len(ids):
            raise WorkflowError("Petugas yang dipilih tidak ditemukan.")
        return await dispatch_ticket(
            db,
            ticket,
            actor=user.username,
            officers=chosen,
            priority=priority,
            instructions=instructions,
            base_url=base_url(request),
            expected_version=expected,
        )

    form = {"priority": priority, "instructions": instructions}
    return await _act(request, db, user, number, version, action, "ticket_dispatched", form)


@router.post("/{number}/tolak", response_class=HTMLResponse)
async def refuse_ticket(
    request: Request,
    db: DbSession,
    user: Decider,
    number: str,
    version: FormText = "",
    reason_code: FormText = "",
    explanation: FormText = "",
    contact: FormText = "",
) -> Response:
    """Close as *Tidak dapat ditindaklanjuti* with a reason code and a citizen explanation."""

    async def action(ticket: Ticket, expected: int) -> object:
        return await refuse(
            db,
            ticket,
            actor=user.username,
            reason_code=reason_code,
            explanation=explanation,
            contact=contact or None,
            expected_version=expected,
        )

    form = {"reason_code": reason_code, "explanation": explanation, "contact": contact}
    return await _act(request, db, user, number, version, action, "ticket_refused", form)


@router.post("/{number}/alihkan", response_class=HTMLResponse)
async def redirect_to_agency(
    request: Request,
    db: DbSession,
    user: Admin,
    number: str,
    version: FormText = "",
    agency: FormText = "",
    reason: FormText = "",
    contact: FormText = "",
) -> Response:
    """Close as *Dialihkan* to another agency (named)."""

    async def action(ticket: Ticket, expected: int) -> object:
        return await workflow.redirect(
            db,
            ticket,
            actor=user.username,
            agency=agency,
            reason=reason or None,
            contact=contact or None,
            expected_version=expected,
        )

    form = {"agency": agency, "redirect_reason": reason, "redirect_contact": contact}
    return await _act(request, db, user, number, version, action, "ticket_redirected", form)


@router.post("/{number}/duplikat", response_class=HTMLResponse)
async def duplicate(
    request: Request,
    db: DbSession,
    user: Admin,
    number: str,
    version: FormText = "",
    original: FormText = "",
) -> Response:
    """Close as *Duplikat* of another existing ticket."""

    async def action(ticket: Ticket, expected: int) -> object:
        return await mark_duplicate(
            db, ticket, actor=user.username, original_number=original, expected_version=expected
        )

    form = {"original": original}
    return await _act(request, db, user, number, version, action, "ticket_duplicate", form)


@router.post("/{number}/selesai", response_class=HTMLResponse)
async def close_ticket(
    request: Request,
    db: DbSession,
    user: Admin,
    number: str,
    version: FormText = "",
    result: FormText = "",
) -> Response:
    """Dalam penanganan → Selesai (admin); the citizen hears the result."""

    async def action(ticket: Ticket, expected: int) -> object:
        return await close_done(
            db, ticket, actor=user.username, result=result or None, expected_version=expected
        )

    form = {"result": result}
    return await _act(request, db, user, number, version, action, "ticket_closed", form)


@router.post("/{number}/buka-kembali", response_class=HTMLResponse)
async def reopen_ticket(
    request: Request,
    db: DbSession,
    user: Admin,
    number: str,
    version: FormText = "",
    reason: FormText = "",
    citizen_reason: FormText = "",
) -> Response:
    """Reopen a closed ticket with a mandatory reason."""

    async def action(ticket: Ticket, expected: int) -> object:
        return await reopen(
            db,
            ticket,
            actor=user.username,
            reason=reason,
            citizen_reason=citizen_reason or None,
            expected_version=expected,
        )

    form = {"reopen_reason": reason, "citizen_reason": citizen_reason}
    return await _act(request, db, user, number, version, action, "ticket_reopened", form)


@router.post("/{number}/tinjau", response_class=HTMLResponse)
async def clear_review(
    request: Request,
    db: DbSession,
    user: Admin,
    number: str,
    version: FormText = "",
    note: FormText = "",
) -> Response:
    """Remove the "belum selesai" flag without reopening."""

    async def action(ticket: Ticket, expected: int) -> object:
        return await clear_review_flag(
            db, ticket, actor=user.username, note=note or None, expected_version=expected
        )

    return await _act(request, db, user, number, version, action, "ticket_review_cleared")


@router.post("/{number}/catatan", response_class=HTMLResponse)
async def add_ticket_note(
    request: Request, db: DbSession, user: Decider, number: str, body: FormText = ""
) -> Response:
    """Add an internal note (never sent to the citizen)."""
    ticket = await _ticket_or_404(db, number)
    ticket_number = ticket.number
    try:
        async with db.begin_nested():
            await add_note(db, ticket, author=user, body=body)
    except WorkflowError as exc:
        return await _ticket_page(
            request, db, user, ticket_number, error=str(exc), status_code=400, form={"note": body}
        )
    return redirect(f"/aduan/{ticket_number}", notice="ticket_note_added")


@router.post("/{number}/identitas", response_class=HTMLResponse)
async def show_identity(
    request: Request, db: DbSession, user: Admin, number: str, reason: FormText = ""
) -> HTMLResponse:
    """Decrypt the reporter's identity for this page view only; logged with the reason."""
    ticket = await _ticket_or_404(db, number)
    ticket_number = ticket.number
    try:
        async with db.begin_nested():
            identity = await reveal_identity(db, ticket, actor=user.username, reason=reason)
    except WorkflowError as exc:
        return await _ticket_page(
            request,
            db,
            user,
            ticket_number,
            error=str(exc),
            status_code=400,
            form={"reveal_reason": reason},
        )
    except IdentityDecryptionError:
        return await _ticket_page(
            request,
            db,
            user,
            ticket_number,
            error="Identitas pelapor tidak dapat dibuka (kunci identitas berbeda).",
            status_code=500,
        )
    return await _ticket_page(request, db, user, ticket_number, identity=identity)


@router.post("/{number}/notifikasi/{message_id}/kirim-ulang", response_class=HTMLResponse)
async def resend_notification(
    request: Request, db: DbSession, user: Admin, number: str, message_id: int
) -> Response:
    """Queue a failed WhatsApp notification again (after the admin checked it)."""
    ticket = await _ticket_or_404(db, number)
    ticket_number = ticket.number
    message = await db.get(OutboxMessage, message_id)
    if message is None or message.ticket_id != ticket.id:
        raise PageError(404, "Notifikasi tidak ditemukan.")
    try:
        async with db.begin_nested():
            await resend(db, message_id)
            await audit.record(
                db,
                actor=user.username,
                action=audit.NOTIFICATION_RESENT,
                target=f"ticket:{ticket_number}",
                detail={"outbox": message_id},
            )
    except ValueError:
        return await _ticket_page(
            request,
            db,
            user,
            ticket_number,
            error="Hanya notifikasi yang gagal yang dapat dikirim ulang.",
            status_code=409,
        )
    return redirect(f"/aduan/{ticket_number}", notice="notification_resent")
