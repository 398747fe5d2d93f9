"""Dispatch to the TRC, the TRC's phone pages, field reports with photos, officers' numbers."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import pytest

from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import session_scope
from lalisa.core.settings import get_settings, reset_settings_cache
from lalisa.dispatch.models import DispatchStatus, FieldOutcome, OfficerContact
from lalisa.notifications.models import RecipientKind
from lalisa.tickets.models import TicketStatus
from lalisa.users.models import User
from tests.backoffice.helpers import SignedIn, audit_entries
from tests.backoffice.workflow_helpers import (
    REPORTER_NAME,
    REPORTER_PHONE,
    dispatches_of,
    events_of,
    load_ticket,
    make_ticket,
    outbox_of,
    post_action,
    version_of,
)

S = TicketStatus
OFFICER_PHONE = "0813-5555-0101"
OFFICER_PHONE_NORMALISED = "6281355550101"


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def set_phone(superadmin: SignedIn, user: User, phone: str) -> None:
    response = await superadmin.client.post(
        f"/petugas-trc/{user.id}/nomor", data={"csrf_token": superadmin.csrf, "phone": phone}
    )
    assert response.status_code == 303, response.text


async def dispatched_ticket(
    as_role: dict[Role, SignedIn], officers: list[User], **ticket: object
) -> tuple[str, int]:
    number = await make_ticket(status=S.DIVERIFIKASI, **ticket)  # type: ignore[arg-type]
    response = await post_action(
        as_role[Role.VERIFIKATOR],
        number,
        "disposisi",
        {
            "officer_id": [str(officer.id) for officer in officers],
            "priority": "darurat",
            "instructions": "Segera ke lokasi, bawa <alat> tertib.",
        },
    )
    assert response.status_code == 303, response.text
    [dispatch] = await dispatches_of(number)
    return number, dispatch.id


async def test_superadmin_stores_officer_numbers_encrypted(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    superadmin = as_role[Role.SUPERADMIN]
    officer = users[Role.PETUGAS_TRC]
    await set_phone(superadmin, officer, OFFICER_PHONE)
    async with session_scope() as session:
        contact = await session.get(OfficerContact, officer.id)
        assert contact is not None
        assert OFFICER_PHONE_NORMALISED not in contact.phone_encrypted
        assert get_identity_cipher().decrypt(contact.phone_encrypted) == OFFICER_PHONE_NORMALISED
    page = await superadmin.client.get("/petugas-trc")
    assert "6281*****0101" in page.text
    assert OFFICER_PHONE_NORMALISED not in page.text
    [entry] = await audit_entries(audit.OFFICER_PHONE_CHANGED)
    assert entry.target == f"user:{officer.username}"
    assert OFFICER_PHONE_NORMALISED not in (entry.detail or "")

    bad = await superadmin.client.post(
        f"/petugas-trc/{officer.id}/nomor", data={"csrf_token": superadmin.csrf, "phone": "12ab"}
    )
    assert bad.status_code == 400
    assert "Nomor WhatsApp tidak valid" in bad.text

    removed = await superadmin.client.post(
        f"/petugas-trc/{officer.id}/nomor", data={"csrf_token": superadmin.csrf, "remove": "1"}
    )
    assert removed.status_code == 303
    async with session_scope() as session:
        assert await session.get(OfficerContact, officer.id) is None


async def test_numbers_only_for_trc_users(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    superadmin = as_role[Role.SUPERADMIN]
    response = await superadmin.client.post(
        f"/petugas-trc/{users[Role.ADMIN].id}/nomor",
        data={"csrf_token": superadmin.csrf, "phone": OFFICER_PHONE},
    )
    assert response.status_code == 404


async def test_dispatch_messages_the_trc_without_reporter_identity(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    komandan, petugas = users[Role.KOMANDAN_TRC], users[Role.PETUGAS_TRC]
    await set_phone(as_role[Role.SUPERADMIN], komandan, OFFICER_PHONE)
    number, dispatch_id = await dispatched_ticket(as_role, [komandan, petugas])

    ticket = await load_ticket(number)
    assert ticket.status is S.DIDISPOSISIKAN
    assert ticket.dispatched_at is not None
    [dispatch] = await dispatches_of(number)
    assert {officer.id for officer in dispatch.officers} == {komandan.id, petugas.id}
    assert dispatch.priority.value == "darurat"
    assert dispatch.status is DispatchStatus.DITUGASKAN

    messages = await outbox_of(number)
    citizen = [m for m in messages if m.recipient_kind is RecipientKind.CITIZEN]
    trc = [m for m in messages if m.recipient_kind is RecipientKind.OFFICER]
    assert [m.event for m in citizen] == ["dispatched"]
    # Only the officer with a number gets the WhatsApp message.
    assert len(trc) == 1
    [order] = trc
    assert order.kind == "trc_dispatch"
    assert order.recipient_ref == f"user:{komandan.id}"
    assert get_identity_cipher().decrypt(order.recipient_phone_encrypted) == (
        OFFICER_PHONE_NORMALISED
    )
    assert order.template_name == get_settings().whatsapp.template_trc_dispatch
    assert order.body is not None and order.template_params is not None
    for text in (order.body, " ".join(order.template_params)):
        assert number in text
        assert "Pedagang kaki lima" in text  # category label
        assert "Paringin" in text  # place
        assert "https://www.google.com/maps?q=-2.330100,115.470200" in text
        assert f"https://testserver/trc/{dispatch_id}" in text
        assert "Darurat" in text
        assert REPORTER_PHONE not in text
        assert REPORTER_NAME not in text
    [entry] = await audit_entries(audit.TICKET_DISPATCHED)
    assert entry.actor == "verifikator"


async def test_dispatch_link_uses_the_public_url_when_configured(
    as_role: dict[Role, SignedIn], users: dict[Role, User], monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setenv("BACKOFFICE_PUBLIC_URL", "https://lalisa.balangankab.example/")
    reset_settings_cache()
    try:
        komandan = users[Role.KOMANDAN_TRC]
        await set_phone(as_role[Role.SUPERADMIN], komandan, OFFICER_PHONE)
        number, dispatch_id = await dispatched_ticket(as_role, [komandan])
        [order] = [m for m in await outbox_of(number) if m.kind == "trc_dispatch"]
        assert order.body is not None
        assert f"https://lalisa.balangankab.example/trc/{dispatch_id}" in order.body
    finally:
        reset_settings_cache()


async def test_dispatch_only_to_active_trc_users(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    number = await make_ticket(status=S.DIVERIFIKASI)
    for officer_id, message in (
        (str(users[Role.ADMIN].id), "bukan petugas TRC yang aktif"),
        ("987654", "tidak ditemukan"),
    ):
        response = await post_action(
            as_role[Role.VERIFIKATOR],
            number,
            "disposisi",
            {"officer_id": officer_id, "priority": "sedang"},
        )
        assert response.status_code == 400
        assert message in response.text
    response = await post_action(
        as_role[Role.VERIFIKATOR],
        number,
        "disposisi",
        {"officer_id": str(users[Role.PETUGAS_TRC].id), "priority": "sangat"},
    )
    assert response.status_code == 400
    assert "Pilih prioritas" in response.text
    assert (await load_ticket(number)).status is S.DIVERIFIKASI
    assert await dispatches_of(number) == []
    assert await outbox_of(number) == []


async def test_trc_sees_only_own_dispatches_and_never_the_identity(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    petugas = users[Role.PETUGAS_TRC]
    number, dispatch_id = await dispatched_ticket(
        as_role, [petugas], description="Ada <script>alert('x')</script> di pasar"
    )

    mine = as_role[Role.PETUGAS_TRC]
    listing = await mine.client.get("/trc")
    assert listing.status_code == 200
    assert number in listing.text
    page = await mine.client.get(f"/trc/{dispatch_id}")
    assert page.status_code == 200
    assert "Ada &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; di pasar" in page.text
    assert "<script>alert" not in page.text
    assert "Segera ke lokasi, bawa &lt;alat&gt; tertib." in page.text
    assert "https://www.openstreetmap.org/?mlat=-2.330100&amp;mlon=115.470200" in page.text
    for secret in (REPORTER_PHONE, REPORTER_NAME, "Tampilkan identitas", "identitas"):
        assert secret not in page.text
    assert (await mine.client.get(f"/aduan/{number}")).status_code == 403

    komandan = as_role[Role.KOMANDAN_TRC]  # not on this dispatch
    assert number not in (await komandan.client.get("/trc")).text
    assert (await komandan.client.get(f"/trc/{dispatch_id}")).status_code == 404
    response = await komandan.client.post(
        f"/trc/{dispatch_id}/berangkat",
        data={"csrf_token": komandan.csrf, "version": str(await version_of(number))},
    )
    assert response.status_code == 404

    everything = await as_role[Role.SUPERADMIN].client.get("/trc")
    assert number in everything.text


async def test_departure_arrival_and_field_report_with_photo(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    petugas_user = users[Role.PETUGAS_TRC]
    number, dispatch_id = await dispatched_ticket(as_role, [petugas_user])
    petugas = as_role[Role.PETUGAS_TRC]

    async def press(button: str) -> int:
        response = await petugas.client.post(
            f"/trc/{dispatch_id}/{button}",
            data={"csrf_token": petugas.csrf, "version": str(await version_of(number))},
        )
        return response.status_code

    assert await press("berangkat") == 303
    assert await press("berangkat") == 400  # already recorded
    assert await press("tiba") == 303
    ticket = await load_ticket(number)
    [dispatch] = await dispatches_of(number)
    assert dispatch.status is DispatchStatus.TIBA
    assert dispatch.departed_at is not None and dispatch.arrived_at is not None
    assert ticket.on_site_at == dispatch.arrived_at
    assert ticket.status is S.DIDISPOSISIKAN
    types = [event.event_type for event in await events_of(number)]
    assert types[-2:] == ["trc_departed", "trc_arrived"]

    png = tiny_png()
    response = await petugas.client.post(
        f"/trc/{dispatch_id}/laporan",
        data={
            "csrf_token": petugas.csrf,
            "version": str(await version_of(number)),
            "findings": "Tiga lapak PKL di trotoar.",
            "actions_taken": "Pedagang diberi teguran lisan.",
            "outcome": FieldOutcome.DALAM_PENANGANAN.value,
        },
        files=[
            ("photos", ("lapak 1.png", png, "image/png")),
            ("photos", ("", b"", "application/octet-stream")),  # an empty file input
        ],
    )
    assert response.status_code == 303, response.text
    ticket = await load_ticket(number)
    assert ticket.status is S.DALAM_PENANGANAN
    [dispatch] = await dispatches_of(number)
    [report] = dispatch.reports
    [photo] = report.photos
    digest = hashlib.sha256(png).hexdigest()
    assert photo.sha256 == digest
    assert photo.mime_type == "image/png"
    assert photo.path == f"trc/{digest}.png"
    assert photo.original_name == "lapak 1.png"
    stored = Path(get_settings().storage.media_dir) / photo.path
    assert stored.read_bytes() == png
    assert dispatch.is_open

    served = await petugas.client.get(f"/trc/foto/{photo.id}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.content == png
    assert (await as_role[Role.ADMIN].client.get(f"/trc/foto/{photo.id}")).status_code == 200
    assert (await as_role[Role.KOMANDAN_TRC].client.get(f"/trc/foto/{photo.id}")).status_code == 404
    ticket_page = await as_role[Role.PIMPINAN].client.get(f"/aduan/{number}")
    assert f'src="/trc/foto/{photo.id}"' in ticket_page.text
    assert "Tiga lapak PKL di trotoar." in ticket_page.text

    response = await petugas.client.post(
        f"/trc/{dispatch_id}/laporan",
        data={
            "csrf_token": petugas.csrf,
            "version": str(await version_of(number)),
            "findings": "Lapak sudah dibongkar.",
            "actions_taken": "Pedagang pindah ke lokasi resmi.",
            "outcome": FieldOutcome.SELESAI.value,
            "citizen_message": "PKL sudah ditertibkan dan pindah ke lokasi resmi.",
        },
    )
    assert response.status_code == 303, response.text
    ticket = await load_ticket(number)
    assert ticket.status is S.SELESAI
    assert ticket.closed_at is not None
    [dispatch] = await dispatches_of(number)
    assert dispatch.status is DispatchStatus.DILAPORKAN
    assert dispatch.closed_at is not None
    assert [m.event for m in await outbox_of(number) if m.kind == "citizen_update"] == [
        "dispatched",
        "closed_selesai",
    ]
    done = next(m for m in await outbox_of(number) if m.event == "closed_selesai")
    assert done.body is not None
    assert "PKL sudah ditertibkan dan pindah ke lokasi resmi." in done.body
    assert number not in (await petugas.client.get("/trc")).text
    closed_page = await petugas.client.get(f"/trc/{dispatch_id}")
    assert "Disposisi ini sudah ditutup" in closed_page.text
    assert 'id="form-laporan"' not in closed_page.text


async def test_report_of_nothing_found_closes_with_the_reason(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    number, dispatch_id = await dispatched_ticket(as_role, [users[Role.KOMANDAN_TRC]])
    komandan = as_role[Role.KOMANDAN_TRC]
    form = {
        "csrf_token": komandan.csrf,
        "version": str(await version_of(number)),
        "findings": "Tidak ada balap liar saat petugas tiba.",
        "actions_taken": "Patroli sekitar lokasi 30 menit.",
        "outcome": FieldOutcome.TIDAK_DITEMUKAN.value,
    }
    missing = await komandan.client.post(f"/trc/{dispatch_id}/laporan", data=form)
    assert missing.status_code == 400
    assert "Pesan untuk pelapor wajib diisi" in missing.text
    assert "Tidak ada balap liar saat petugas tiba." in missing.text  # the form keeps its text
    assert (await load_ticket(number)).status is S.DIDISPOSISIKAN

    form["citizen_message"] = "Saat diperiksa pukul 22.00 tidak ada balap liar."
    response = await komandan.client.post(f"/trc/{dispatch_id}/laporan", data=form)
    assert response.status_code == 303
    ticket = await load_ticket(number)
    assert ticket.status is S.TIDAK_DAPAT_DITINDAKLANJUTI
    assert ticket.closing_reason_code == "pelanggaran_tidak_ditemukan"
    closing = [
        m for m in await outbox_of(number) if m.event == "closed_tidak_dapat_ditindaklanjuti"
    ]
    assert len(closing) == 1
    assert closing[0].body is not None
    assert "Saat diperiksa pukul 22.00 tidak ada balap liar." in closing[0].body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bukan-foto.jpg", b"<html>halo</html>", "bukan foto yang didukung"),
        ("besar.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), "terlalu besar"),
    ],
)
async def test_photos_are_checked(
    name: str,
    content: bytes,
    message: str,
    as_role: dict[Role, SignedIn],
    users: dict[Role, User],
) -> None:
    number, dispatch_id = await dispatched_ticket(as_role, [users[Role.PETUGAS_TRC]])
    petugas = as_role[Role.PETUGAS_TRC]
    response = await petugas.client.post(
        f"/trc/{dispatch_id}/laporan",
        data={
            "csrf_token": petugas.csrf,
            "version": str(await version_of(number)),
            "findings": "Temuan.",
            "actions_taken": "Tindakan.",
            "outcome": "selesai",
        },
        files=[("photos", (name, content, "image/jpeg"))],
    )
    assert response.status_code == 400
    assert message in response.text
    assert (await load_ticket(number)).status is S.DIDISPOSISIKAN
    [dispatch] = await dispatches_of(number)
    assert dispatch.reports == []


async def test_stale_field_report_is_refused(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    number, dispatch_id = await dispatched_ticket(as_role, [users[Role.PETUGAS_TRC]])
    petugas = as_role[Role.PETUGAS_TRC]
    version = await version_of(number)
    refused = await post_action(
        as_role[Role.ADMIN],
        number,
        "tolak",
        {"reason_code": "lokasi_tidak_ditemukan", "explanation": "Alamat tidak ada."},
    )
    assert refused.status_code == 303
    response = await petugas.client.post(
        f"/trc/{dispatch_id}/laporan",
        data={
            "csrf_token": petugas.csrf,
            "version": str(version),
            "findings": "Temuan.",
            "actions_taken": "Tindakan.",
            "outcome": "selesai",
        },
    )
    # The admin's refusal closed the dispatch and changed the ticket.
    assert response.status_code in (400, 409)
    assert (await load_ticket(number)).status is S.TIDAK_DAPAT_DITINDAKLANJUTI
    [dispatch] = await dispatches_of(number)
    assert dispatch.status is DispatchStatus.DITUTUP
    assert dispatch.reports == []


async def test_two_officers_pressing_at_once(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    number, dispatch_id = await dispatched_ticket(
        as_role, [users[Role.PETUGAS_TRC], users[Role.KOMANDAN_TRC]]
    )
    version = await version_of(number)
    first = as_role[Role.PETUGAS_TRC]
    second = as_role[Role.KOMANDAN_TRC]
    ok = await first.client.post(
        f"/trc/{dispatch_id}/tiba", data={"csrf_token": first.csrf, "version": str(version)}
    )
    late = await second.client.post(
        f"/trc/{dispatch_id}/berangkat", data={"csrf_token": second.csrf, "version": str(version)}
    )
    assert ok.status_code == 303
    assert late.status_code == 409
    assert "sudah diubah oleh petugas lain" in late.text
