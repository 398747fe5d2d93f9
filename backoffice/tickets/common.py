"""Shared pieces of the ticket pages: roles, labels, notices, form parsing and look-ups."""

from __future__ import annotations

import csv
import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backoffice.auth.roles import Role
from backoffice.templating import NOTICES
from lalisa.core.settings import get_settings
from lalisa.dispatch.models import Dispatch, DispatchOfficer, DispatchStatus, FieldOutcome, Priority
from lalisa.notifications.models import OutboxStatus
from lalisa.places.geo import GEO_DIR
from lalisa.places.hotspots import coarsen
from lalisa.tickets.categories import CATEGORY_LABELS, category_label
from lalisa.tickets.labels import (
    DEFAULT_EXPLANATIONS,
    EVENT_LABELS,
    REASON_CODES,
    STAFF_STATUS_LABELS,
)
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.service import ConcurrentUpdate, InvalidTransition
from lalisa.tickets.workflow import WorkflowError

S = TicketStatus

# ------------------------------------------------------------------------------- roles

VIEW_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR, Role.PIMPINAN)
"""Who may open the inbox and the ticket page (pimpinan read-only)."""
ADMIN_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN)
"""Verify, redirect, mark duplicate, close, reopen, notify, reveal identity."""
DECIDE_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR)
"""Refuse (tidak dapat ditindaklanjuti), add internal notes."""
DISPATCH_ROLES: Final = (Role.SUPERADMIN, Role.VERIFIKATOR)
"""Dispatch the TRC."""
TRC_PAGE_ROLES: Final = (Role.SUPERADMIN, Role.KOMANDAN_TRC, Role.PETUGAS_TRC)
"""The TRC pages (superadmin sees every dispatch)."""
MEDIA_ROLES: Final = (
    Role.SUPERADMIN,
    Role.ADMIN,
    Role.VERIFIKATOR,
    Role.PIMPINAN,
    Role.KOMANDAN_TRC,
    Role.PETUGAS_TRC,
)
"""Media files; TRC officers only for tickets they are dispatched to."""
OFFICER_ADMIN_ROLES: Final = (Role.SUPERADMIN,)
"""Manage the officers' WhatsApp numbers."""

TRC_ROLE_SET: Final = frozenset({Role.KOMANDAN_TRC, Role.PETUGAS_TRC})

# ----------------------------------------------------------------------------- messages

CONFLICT_MESSAGE: Final = (
    "Aduan ini sudah diubah oleh petugas lain sejak halaman Anda dibuka. Tidak ada yang "
    "disimpan. Periksa keadaan terbaru di bawah ini, lalu ulangi bila masih perlu."
)
INCOMPLETE_FORM: Final = "Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."

TICKET_NOTICES: Final[Mapping[str, str]] = {
    "ticket_verified": "Aduan diverifikasi. Pelapor dikabari lewat WhatsApp.",
    "ticket_dispatched": "Aduan didisposisikan ke TRC. Petugas dan pelapor dikabari.",
    "ticket_refused": "Aduan ditutup: tidak dapat ditindaklanjuti. Pelapor dikabari alasannya.",
    "ticket_redirected": "Aduan dialihkan ke instansi lain. Pelapor dikabari.",
    "ticket_duplicate": "Aduan ditandai duplikat. Pelapor dikabari.",
    "ticket_closed": "Aduan ditutup selesai. Pelapor dikabari.",
    "ticket_reopened": "Aduan dibuka kembali. Pelapor dikabari.",
    "ticket_note_added": "Catatan internal disimpan.",
    "ticket_review_cleared": "Tanda tinjau dihapus.",
    "notification_resent": "Notifikasi dijadwalkan untuk dikirim ulang.",
    "trc_departed": "Keberangkatan dicatat.",
    "trc_arrived": "Kedatangan di lokasi dicatat.",
    "field_report_saved": "Laporan lapangan disimpan.",
    "officer_phone_saved": "Nomor WhatsApp petugas disimpan.",
    "officer_phone_removed": "Nomor WhatsApp petugas dihapus.",
}
"""Notices of this domain (added to :data:`backoffice.templating.NOTICES`)."""

NOTICES.update(TICKET_NOTICES)

# ------------------------------------------------------------------------------- labels

OUTBOX_EVENT_LABELS: Final[Mapping[str, str]] = {
    "verified": "Diverifikasi",
    "dispatched": "Diteruskan ke TRC",
    "in_progress": "Dalam penanganan",
    "closed_selesai": "Selesai",
    "closed_tidak_dapat_ditindaklanjuti": "Tidak dapat ditindaklanjuti",
    "closed_dialihkan": "Dialihkan",
    "closed_duplikat": "Duplikat",
    "reopened": "Dibuka kembali",
    "dispatch": "Disposisi TRC",
    "survey_invitation": "Undangan survei kepuasan (SKM)",
}

LABELS: Final[dict[str, Any]] = {
    "status": STAFF_STATUS_LABELS,
    "category": CATEGORY_LABELS,
    "reason": REASON_CODES,
    "event": EVENT_LABELS,
    "priority": {priority.value: priority.label for priority in Priority},
    "dispatch_status": {status.value: status.label for status in DispatchStatus},
    "outcome": {outcome.value: outcome.label for outcome in FieldOutcome},
    "outbox_status": {status.value: status.label for status in OutboxStatus},
    "outbox_event": OUTBOX_EVENT_LABELS,
}
"""Every label a ticket template needs, as plain mappings (machine value → text)."""


def status_label(status: TicketStatus | str | None) -> str:
    """Officer-facing label of a status value."""
    if status is None:
        return "-"
    try:
        return STAFF_STATUS_LABELS[TicketStatus(status)]
    except ValueError:
        return str(status)


def transition_message(exc: InvalidTransition) -> str:
    """Explain a refused status change to the officer."""
    return (
        f"Aksi ini tidak dapat dilakukan: aduan berstatus "
        f"\u201c{status_label(exc.from_status)}\u201d tidak dapat diubah menjadi "
        f"\u201c{status_label(exc.to_status)}\u201d. Muat ulang halaman untuk melihat "
        "keadaan terbaru."
    )


Refused = Callable[[str, int], Awaitable[HTMLResponse]]
"""Renders the form page again with an error message and a status code."""


async def attempt(
    db: AsyncSession, change: Callable[[], Awaitable[object]], refused: Refused
) -> HTMLResponse | None:
    """Run one workflow change in a savepoint; explain a refusal on the form's page.

    Args:
        db: The request's session (a refused change rolls back only its savepoint).
        change: The workflow call.
        refused: Shows the page with the reason.

    Returns:
        ``None`` when the change was made, otherwise the page that says why not.
    """
    try:
        async with db.begin_nested():
            await change()
    except ConcurrentUpdate:
        return await refused(CONFLICT_MESSAGE, 409)
    except InvalidTransition as exc:
        return await refused(transition_message(exc), 409)
    except WorkflowError as exc:
        return await refused(str(exc), 400)
    return None


def template_context() -> dict[str, Any]:
    """Values every ticket template receives."""
    return {
        "labels": LABELS,
        "category_label": category_label,
        "status_label": status_label,
        "default_explanations": DEFAULT_EXPLANATIONS,
    }


# --------------------------------------------------------------------------- look-ups


@functools.cache
def kecamatan_names() -> tuple[str, ...]:
    """The 8 kecamatan of Balangan, by name."""
    with (GEO_DIR / "balangan_kecamatan_centroids.csv").open(encoding="utf-8") as handle:
        return tuple(sorted(row["nama"] for row in csv.DictReader(handle)))


async def assigned_to_ticket(
    session: AsyncSession, user_id: int, ticket_id: int | ColumnElement[Any]
) -> bool:
    """Whether a TRC officer is on any dispatch of a ticket (their only way to its files).

    Args:
        session: The request's session.
        user_id: The officer.
        ticket_id: The ticket's id, or a scalar subquery that yields it.

    Returns:
        True when one of the ticket's dispatches names the officer.
    """
    assigned = exists().where(
        Dispatch.ticket_id == ticket_id,
        DispatchOfficer.dispatch_id == Dispatch.id,
        DispatchOfficer.user_id == user_id,
    )
    return bool((await session.execute(select(assigned))).scalar_one())


async def ticket_by_number(session: AsyncSession, number: str) -> Ticket | None:
    """Load a ticket with its media and events, replacing any stale copy in the session."""
    query = (
        select(Ticket)
        .where(Ticket.number == number.strip().upper())
        .options(selectinload(Ticket.media), selectinload(Ticket.events))
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


def parse_version(raw: str) -> int | None:
    """The ``version`` field of a form, or ``None`` when missing or malformed."""
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value >= 1 else None


def base_url(request: Request) -> str:
    """Address of the back office for links in WhatsApp messages."""
    configured = get_settings().backoffice.public_url
    if configured:
        return configured
    return str(request.base_url).rstrip("/")


EXACT_LOCATION_ROLES: Final = frozenset({Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR})
"""Roles that see exact pins (ticket page, hotspot map); any other role sees ~1 km cells."""


@dataclass(frozen=True)
class Pin:
    """The location shown on a ticket page."""

    latitude: float
    longitude: float
    link: str
    coarse: bool


def ticket_pin(ticket: Ticket, role: Role) -> Pin | None:
    """The ticket's pin as ``role`` may see it: exact, or snapped to its ~1 km cell.

    Pimpinan get the same ~1 km precision as on the hotspot map; a pin can point to the
    reporter's house.
    """
    if ticket.latitude is None or ticket.longitude is None:
        return None
    latitude, longitude = ticket.latitude, ticket.longitude
    coarse = role not in EXACT_LOCATION_ROLES
    if coarse:
        latitude, longitude = coarsen(latitude, longitude)
    link = osm_link(latitude, longitude, zoom=15 if coarse else 18)
    return Pin(latitude, longitude, link or "", coarse)


def osm_link(latitude: float | None, longitude: float | None, *, zoom: int = 18) -> str | None:
    """OpenStreetMap link to a pin (no tiles are loaded in the page)."""
    if latitude is None or longitude is None:
        return None
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
        f"#map={zoom}/{latitude:.6f}/{longitude:.6f}"
    )
