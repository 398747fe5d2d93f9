"""The TRC pages (phone first): my dispatches, "Berangkat", "Tiba di lokasi", field report.

Also the superadmin's page for the officers' WhatsApp numbers. The TRC never sees the
reporter's identity: these pages show the complaint, the place and the citizen's photos only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from backoffice.auth.roles import Role
from backoffice.db import DbSession
from backoffice.errors import PageError
from backoffice.permissions import require_roles
from backoffice.templating import redirect, render
from backoffice.tickets.common import (
    INCOMPLETE_FORM,
    MEDIA_ROLES,
    OFFICER_ADMIN_ROLES,
    TRC_PAGE_ROLES,
    TRC_ROLE_SET,
    assigned_to_ticket,
    attempt,
    osm_link,
    parse_version,
    template_context,
)
from backoffice.tickets.views import media_file_response
from lalisa.core import audit
from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher
from lalisa.core.models import utcnow
from lalisa.dispatch.models import (
    Dispatch,
    FieldOutcome,
    FieldReport,
    FieldReportPhoto,
    OfficerContact,
)
from lalisa.dispatch.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    PhotoRejected,
    StoredPhoto,
    resolve_media_path,
    store_photo,
)
from lalisa.dispatch.service import (
    dispatches_for_officer,
    get_dispatch,
    mask_phone,
    normalise_officer_phone,
    officer_contacts,
    trc_officers,
)
from lalisa.tickets.errors import TOO_MANY_PHOTOS
from lalisa.tickets.models import TicketMedia
from lalisa.tickets.trc import file_field_report, mark_arrived, mark_departed
from lalisa.users.models import User

router = APIRouter(prefix="/trc", tags=["trc"])
officers_router = APIRouter(prefix="/petugas-trc", tags=["trc"])

TrcUser = Annotated[User, Depends(require_roles(*TRC_PAGE_ROLES))]
MediaViewer = Annotated[User, Depends(require_roles(*MEDIA_ROLES))]
Superadmin = Annotated[User, Depends(require_roles(*OFFICER_ADMIN_ROLES))]
FormText = Annotated[str, Form(max_length=20_000)]


def _sees_all(user: User) -> bool:
    return user.role is Role.SUPERADMIN


async def _my_dispatch(db: AsyncSession, user: User, dispatch_id: int) -> Dispatch:
    dispatch = await get_dispatch(db, dispatch_id)
    if dispatch is None or not (_sees_all(user) or dispatch.has_officer(user.id)):
        # The same answer for "not yours" and "does not exist".
        raise PageError(404, "Disposisi tidak ditemukan.")
    return dispatch


@router.get("", response_class=HTMLResponse)
async def my_dispatches(
    request: Request, db: DbSession, user: TrcUser, semua: str = ""
) -> HTMLResponse:
    """The officer's dispatches: open ones first (``?semua=1`` adds the closed ones)."""
    show_all = bool(semua.strip())
    dispatches = await dispatches_for_officer(
        db, None if _sees_all(user) else user.id, open_only=not show_all
    )
    return render(
        request,
        "tickets/trc_list.html",
        {**template_context(), "dispatches": dispatches, "show_all": show_all},
    )


async def _dispatch_page(
    request: Request,
    db: AsyncSession,
    user: User,
    dispatch_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    dispatch = await _my_dispatch(db, user, dispatch_id)
    ticket = dispatch.ticket
    media = list(
        (
            await db.execute(
                select(TicketMedia)
                .where(TicketMedia.ticket_id == ticket.id)
                .order_by(TicketMedia.id)
            )
        ).scalars()
    )
    return render(
        request,
        "tickets/trc_dispatch.html",
        {
            **template_context(),
            "dispatch": dispatch,
            "ticket": ticket,
            "media": media,
            "map_link": osm_link(ticket.latitude, ticket.longitude),
            "outcomes": list(FieldOutcome),
            "max_photos": MAX_PHOTOS,
            "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/{dispatch_id}", response_class=HTMLResponse)
async def dispatch_page(
    request: Request, db: DbSession, user: TrcUser, dispatch_id: int
) -> HTMLResponse:
    """One dispatch: the complaint, the place with a map link, buttons and the report form."""
    return await _dispatch_page(request, db, user, dispatch_id)


async def _progress(
    request: Request,
    db: AsyncSession,
    user: User,
    dispatch_id: int,
    version: str,
    *,
    arrived: bool,
) -> Response:
    dispatch = await _my_dispatch(db, user, dispatch_id)

    async def refused(message: str, status_code: int) -> HTMLResponse:
        return await _dispatch_page(
            request, db, user, dispatch_id, error=message, status_code=status_code
        )

    expected = parse_version(version)
    if expected is None:
        return await refused(INCOMPLETE_FORM, 400)
    mark = mark_arrived if arrived else mark_departed
    page = await attempt(
        db, lambda: mark(db, dispatch, actor=user.username, expected_version=expected), refused
    )
    return page or redirect(
        f"/trc/{dispatch_id}", notice="trc_arrived" if arrived else "trc_departed"
    )


@router.post("/{dispatch_id}/berangkat", response_class=HTMLResponse)
async def departed(
    request: Request, db: DbSession, user: TrcUser, dispatch_id: int, version: FormText = ""
) -> Response:
    """Mark the team as left for the location ("Berangkat")."""
    return await _progress(request, db, user, dispatch_id, version, arrived=False)


@router.post("/{dispatch_id}/tiba", response_class=HTMLResponse)
async def arrived(
    request: Request, db: DbSession, user: TrcUser, dispatch_id: int, version: FormText = ""
) -> Response:
    """Mark the team as at the location ("Tiba di lokasi"); starts the on-site clock."""
    return await _progress(request, db, user, dispatch_id, version, arrived=True)


async def _read_photos(uploads: list[UploadFile]) -> list[StoredPhoto]:
    chosen = [upload for upload in uploads if upload.filename or (upload.size or 0) > 0]
    if len(chosen) > MAX_PHOTOS:
        raise PhotoRejected(TOO_MANY_PHOTOS.format(limit=MAX_PHOTOS))
    photos = []
    for upload in chosen:
        content = await upload.read(MAX_PHOTO_BYTES + 1)
        if not content and not upload.filename:
            continue
        try:
            photos.append(store_photo(content, original_name=upload.filename))
        except PhotoRejected as exc:
            raise PhotoRejected(f"{upload.filename or 'Foto'}: {exc}") from exc
    return photos


@router.post("/{dispatch_id}/laporan", response_class=HTMLResponse)
async def field_report(
    request: Request,
    db: DbSession,
    user: TrcUser,
    dispatch_id: int,
    version: FormText = "",
    findings: FormText = "",
    actions_taken: FormText = "",
    outcome: FormText = "",
    citizen_message: FormText = "",
) -> Response:
    """The field report (what was found and done, photos); moves the ticket on.

    Photos come in the multipart field ``photos`` (several files). They are read from the
    parsed form directly, so the empty part a browser sends for an empty file input is simply
    skipped.
    """
    dispatch = await _my_dispatch(db, user, dispatch_id)
    uploads = [
        item for item in (await request.form()).getlist("photos") if isinstance(item, UploadFile)
    ]
    form = {
        "findings": findings,
        "actions_taken": actions_taken,
        "outcome": outcome,
        "citizen_message": citizen_message,
    }

    async def refused(message: str, status_code: int) -> HTMLResponse:
        return await _dispatch_page(
            request, db, user, dispatch_id, error=message, status_code=status_code, form=form
        )

    expected = parse_version(version)
    if expected is None:
        return await refused(INCOMPLETE_FORM, 400)
    try:
        stored = await _read_photos(uploads)
    except PhotoRejected as exc:
        return await refused(str(exc), 400)
    page = await attempt(
        db,
        lambda: file_field_report(
            db,
            dispatch,
            author=user,
            findings=findings,
            actions_taken=actions_taken,
            outcome=outcome,
            citizen_message=citizen_message or None,
            photos=stored,
            expected_version=expected,
        ),
        refused,
    )
    return page or redirect(f"/trc/{dispatch_id}", notice="field_report_saved")


@router.get("/foto/{photo_id}")
async def field_photo(db: DbSession, user: MediaViewer, photo_id: int) -> Response:
    """Serve a field-report photo to officers (TRC: only of their own dispatches)."""
    query = (
        select(FieldReportPhoto, FieldReport.dispatch_id)
        .join(FieldReport, FieldReport.id == FieldReportPhoto.report_id)
        .where(FieldReportPhoto.id == photo_id)
    )
    row = (await db.execute(query)).first()
    if row is None:
        raise PageError(404, "Foto tidak ditemukan.")
    photo, dispatch_id = row
    if user.role in TRC_ROLE_SET:
        ticket_id = select(Dispatch.ticket_id).where(Dispatch.id == dispatch_id).scalar_subquery()
        if not await assigned_to_ticket(db, user.id, ticket_id):
            raise PageError(404, "Foto tidak ditemukan.")
    path = resolve_media_path(photo.path)
    if path is None:
        raise PageError(404, "Foto tidak tersedia di server.")
    return media_file_response(path, photo.mime_type, f"laporan-trc-{photo.id}")


# ------------------------------------------------------------------ officers' phone numbers


async def _officers_page(
    request: Request,
    db: AsyncSession,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    officers = await trc_officers(db, include_inactive=True)
    contacts = await officer_contacts(db, [officer.id for officer in officers])
    cipher = get_identity_cipher()
    masked: dict[int, str] = {}
    for user_id, contact in contacts.items():
        try:
            masked[user_id] = mask_phone(cipher.decrypt(contact.phone_encrypted))
        except IdentityDecryptionError:
            masked[user_id] = "(tidak dapat dibuka)"
    return render(
        request,
        "tickets/officers.html",
        {"officers": officers, "masked": masked, "error": error},
        status_code=status_code,
    )


@officers_router.get("", response_class=HTMLResponse)
async def officers(request: Request, db: DbSession, _user: Superadmin) -> HTMLResponse:
    """TRC officers and their WhatsApp numbers (masked) for dispatch messages."""
    return await _officers_page(request, db)


@officers_router.post("/{user_id}/nomor", response_class=HTMLResponse)
async def set_officer_phone(
    request: Request,
    db: DbSession,
    actor: Superadmin,
    user_id: int,
    phone: FormText = "",
    remove: FormText = "",
) -> Response:
    """Store (encrypted) or remove an officer's WhatsApp number."""
    officer = await db.get(User, user_id)
    if officer is None or officer.role not in TRC_ROLE_SET:
        raise PageError(404, "Petugas TRC tidak ditemukan.")
    contact = await db.get(OfficerContact, user_id)
    if remove.strip():
        if contact is not None:
            await db.delete(contact)
        await audit.record(
            db,
            actor=actor.username,
            action=audit.OFFICER_PHONE_CHANGED,
            target=f"user:{officer.username}",
            detail={"removed": True},
        )
        return redirect("/petugas-trc", notice="officer_phone_removed")
    try:
        normalised = normalise_officer_phone(phone)
    except ValueError as exc:
        return await _officers_page(
            request, db, error=f"{officer.full_name}: {exc}", status_code=400
        )
    token = get_identity_cipher().encrypt(normalised)
    if contact is None:
        db.add(
            OfficerContact(
                user_id=user_id,
                phone_encrypted=token,
                updated_at=utcnow(),
                updated_by=actor.username,
            )
        )
    else:
        contact.phone_encrypted = token
        contact.updated_at = utcnow()
        contact.updated_by = actor.username
    await audit.record(
        db,
        actor=actor.username,
        action=audit.OFFICER_PHONE_CHANGED,
        target=f"user:{officer.username}",
        detail={"phone": mask_phone(normalised)},
    )
    return redirect("/petugas-trc", notice="officer_phone_saved")
