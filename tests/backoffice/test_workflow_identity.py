"""Reporter identity: shown only to admins through an explicit, reasoned, audited action."""

from __future__ import annotations

import json

from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.tickets.models import TicketStatus
from lalisa.users.models import User
from tests.backoffice.helpers import SignedIn, audit_entries
from tests.backoffice.workflow_helpers import (
    REPORTER_NAME,
    REPORTER_PHONE,
    dispatches_of,
    make_ticket,
    post_action,
)

BUTTON = "Tampilkan identitas pelapor"


async def _reveal(signed_in: SignedIn, number: str, reason: str) -> str:
    response = await signed_in.client.post(
        f"/aduan/{number}/identitas", data={"csrf_token": signed_in.csrf, "reason": reason}
    )
    assert response.headers["cache-control"] == "no-store"
    return response.text if response.status_code in (200, 400) else f"HTTP {response.status_code}"


async def test_admin_reveals_with_a_reason_and_it_is_logged(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    admin = as_role[Role.ADMIN]
    page = await admin.client.get(f"/aduan/{number}")
    assert BUTTON in page.text
    assert REPORTER_PHONE not in page.text and REPORTER_NAME not in page.text

    shown = await _reveal(admin, number, "Perlu konfirmasi lokasi lewat telepon.")
    assert f'<dd id="identity-phone">{REPORTER_PHONE}</dd>' in shown
    assert f'<dd id="identity-name">{REPORTER_NAME}</dd>' in shown
    [entry] = await audit_entries(audit.REPORTER_IDENTITY_REVEALED)
    assert entry.actor == "admin"
    assert entry.target == f"ticket:{number}"
    assert json.loads(entry.detail or "{}") == {"reason": "Perlu konfirmasi lokasi lewat telepon."}
    assert REPORTER_PHONE not in (entry.detail or "")

    # Only that response showed it; the page stays confidential afterwards.
    again = await admin.client.get(f"/aduan/{number}")
    assert REPORTER_PHONE not in again.text and REPORTER_NAME not in again.text


async def test_a_reason_is_mandatory(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    admin = as_role[Role.ADMIN]
    for reason in ("", "   ", "ok"):
        text = await _reveal(admin, number, reason)
        assert REPORTER_PHONE not in text and REPORTER_NAME not in text
        assert "Alasan wajib diisi" in text or "sedikitnya 5 karakter" in text
    assert await audit_entries(audit.REPORTER_IDENTITY_REVEALED) == []


async def test_superadmin_may_reveal(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket(name=None)
    shown = await _reveal(as_role[Role.SUPERADMIN], number, "Pemeriksaan inspektorat.")
    assert REPORTER_PHONE in shown
    assert "Tidak disebutkan" in shown


async def test_other_roles_never_see_identity_nor_the_button(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    number = await make_ticket(status=TicketStatus.DIVERIFIKASI)
    for role in (Role.VERIFIKATOR, Role.PIMPINAN):
        page = await as_role[role].client.get(f"/aduan/{number}")
        assert page.status_code == 200
        assert BUTTON not in page.text
        assert 'id="form-identitas"' not in page.text
        assert REPORTER_PHONE not in page.text and REPORTER_NAME not in page.text
    for role in (Role.VERIFIKATOR, Role.PIMPINAN, Role.KOMANDAN_TRC, Role.PETUGAS_TRC):
        assert await _reveal(as_role[role], number, "Ingin tahu saja.") == "HTTP 403"
    assert await audit_entries(audit.REPORTER_IDENTITY_REVEALED) == []

    await post_action(
        as_role[Role.VERIFIKATOR],
        number,
        "disposisi",
        {"officer_id": str(users[Role.PETUGAS_TRC].id), "priority": "sedang"},
    )
    [dispatch] = await dispatches_of(number)
    trc = as_role[Role.PETUGAS_TRC].client
    for path in ("/trc", f"/trc/{dispatch.id}"):
        page = await trc.get(path)
        assert page.status_code == 200
        assert BUTTON not in page.text
        assert REPORTER_PHONE not in page.text and REPORTER_NAME not in page.text
    assert (await trc.get(f"/aduan/{number}")).status_code == 403
