"""Every allowed and forbidden status change through the ticket pages, with its messages.

The expected outcome is written out independently of ``lalisa.tickets.service.ALLOWED_TRANSITIONS``:
a page action succeeds exactly when the workflow allows its target status from the ticket's
status; then the ticket, its history and the citizen's outbox message change together, and
otherwise none of them does.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.notifications.models import OutboxStatus, RecipientKind
from lalisa.survey.service import SURVEY_OUTCOMES
from lalisa.tickets.models import TicketStatus
from lalisa.users.models import User
from tests.backoffice.helpers import BASE_URL, SignedIn, audit_entries
from tests.backoffice.workflow_helpers import (
    REPORTER_NAME,
    REPORTER_PHONE,
    events_of,
    load_ticket,
    make_ticket,
    outbox_of,
    post_action,
    version_of,
)

S = TicketStatus
SPEC: dict[TicketStatus, set[TicketStatus]] = {
    S.BARU: {S.DIVERIFIKASI, S.TIDAK_DAPAT_DITINDAKLANJUTI, S.DIALIHKAN, S.DUPLIKAT},
    S.DIVERIFIKASI: {S.DIDISPOSISIKAN, S.TIDAK_DAPAT_DITINDAKLANJUTI, S.DIALIHKAN, S.DUPLIKAT},
    S.DIDISPOSISIKAN: {S.DALAM_PENANGANAN, S.TIDAK_DAPAT_DITINDAKLANJUTI},
    S.DALAM_PENANGANAN: {S.SELESAI, S.TIDAK_DAPAT_DITINDAKLANJUTI},
    S.SELESAI: {S.BARU},
    S.TIDAK_DAPAT_DITINDAKLANJUTI: {S.BARU},
    S.DIALIHKAN: {S.BARU},
    S.DUPLIKAT: {S.BARU},
}

# page action -> (target status, role that may do it, outbox event of the citizen message)
ACTIONS: dict[str, tuple[TicketStatus, Role, str]] = {
    "verifikasi": (S.DIVERIFIKASI, Role.ADMIN, "verified"),
    "disposisi": (S.DIDISPOSISIKAN, Role.VERIFIKATOR, "dispatched"),
    "tolak": (S.TIDAK_DAPAT_DITINDAKLANJUTI, Role.ADMIN, "closed_tidak_dapat_ditindaklanjuti"),
    "alihkan": (S.DIALIHKAN, Role.ADMIN, "closed_dialihkan"),
    "duplikat": (S.DUPLIKAT, Role.ADMIN, "closed_duplikat"),
    "selesai": (S.SELESAI, Role.ADMIN, "closed_selesai"),
    "buka-kembali": (S.BARU, Role.ADMIN, "reopened"),
}
CASES = list(itertools.product(ACTIONS, S))


def _form(action: str, users: dict[Role, User], original: str) -> dict[str, Any]:
    return {
        "verifikasi": {"note": "Lokasi dan foto jelas."},
        "disposisi": {
            "officer_id": str(users[Role.KOMANDAN_TRC].id),
            "priority": "tinggi",
            "instructions": "Tertibkan dengan persuasif.",
        },
        "tolak": {
            "reason_code": "bukan_kewenangan",
            "explanation": "Jalan rusak adalah kewenangan Dinas PUPR.",
            "contact": "Dinas PUPR Balangan",
        },
        "alihkan": {"agency": "Dinas Lingkungan Hidup", "contact": "0526-000000"},
        "duplikat": {"original": original},
        "selesai": {"result": "PKL sudah dipindahkan ke lokasi resmi."},
        "buka-kembali": {"reason": "Pelapor mengirim foto baru."},
    }[action]


@pytest.mark.parametrize(
    ("action", "start"), CASES, ids=[f"{action}-from-{start.value}" for action, start in CASES]
)
async def test_action_from_every_status(
    action: str,
    start: TicketStatus,
    as_role: dict[Role, SignedIn],
    users: dict[Role, User],
) -> None:
    target, role, outbox_event = ACTIONS[action]
    original = await make_ticket(description="Aduan pertama yang sama.")
    number = await make_ticket(status=start)
    before = await load_ticket(number)
    events_before = len(await events_of(number))

    response = await post_action(
        as_role[role], number, action, _form(action, users, original), version=before.version
    )

    after = await load_ticket(number)
    events = await events_of(number)
    messages = await outbox_of(number)
    if target in SPEC[start]:
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith(f"/aduan/{number}?notice=")
        assert after.status is target
        assert after.version == before.version + 1
        assert len(events) == events_before + 1
        assert (events[-1].from_status, events[-1].to_status) == (start.value, target.value)
        assert events[-1].actor == role.value
        # Issue 6: closing outcomes that rate a service also queue the SKM invitation.
        survey = ["survey_invitation"] if target in SURVEY_OUTCOMES else []
        assert [m.event for m in messages] == [outbox_event, *survey]
        assert messages[0].recipient_kind is RecipientKind.CITIZEN
        assert messages[0].status is OutboxStatus.PENDING
        if target in (S.SELESAI, S.TIDAK_DAPAT_DITINDAKLANJUTI, S.DIALIHKAN, S.DUPLIKAT):
            assert after.closed_at is not None
        if target is S.BARU:
            assert after.closed_at is None
            assert events[-1].event_type == "reopened"
            assert events[-1].note == "Pelapor mengirim foto baru."
    else:
        assert response.status_code == 409, response.text
        assert "tidak dapat diubah menjadi" in response.text
        assert after.status is start
        assert after.version == before.version
        assert len(events) == events_before
        assert messages == []


async def test_every_allowed_transition_has_a_page_action() -> None:
    reachable = {(start, ACTIONS[a][0]) for a, start in CASES if ACTIONS[a][0] in SPEC[start]}
    # Didisposisikan -> Dalam penanganan (and Selesai from the field) go through the TRC's
    # field report; see test_workflow_trc.py.
    expected = {(a, b) for a, targets in SPEC.items() for b in targets}
    assert expected - reachable == {(S.DIDISPOSISIKAN, S.DALAM_PENANGANAN)}


async def test_refusal_message_gives_reason_and_contact(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    response = await post_action(
        as_role[Role.VERIFIKATOR],
        number,
        "tolak",
        {
            "reason_code": "bukan_kewenangan",
            "explanation": "Perbaikan jalan adalah kewenangan Dinas PUPR.",
            "contact": "Dinas PUPR Kab. Balangan, telp. 0526-1234",
        },
    )
    assert response.status_code == 303
    ticket = await load_ticket(number)
    assert ticket.closing_reason_code == "bukan_kewenangan"
    assert ticket.closing_explanation == "Perbaikan jalan adalah kewenangan Dinas PUPR."
    message, invitation = await outbox_of(number)  # the SKM invitation follows (issue 6)
    assert invitation.kind == "survey_invitation"
    assert message.body is not None
    assert "tidak dapat ditindaklanjuti" in message.body
    assert "Perbaikan jalan adalah kewenangan Dinas PUPR." in message.body
    assert "Dinas PUPR Kab. Balangan, telp. 0526-1234" in message.body
    assert message.template_params is not None
    assert "Dinas PUPR Kab. Balangan" in message.template_params[2]
    [entry] = await audit_entries(audit.TICKET_REFUSED)
    assert entry.actor == "verifikator"
    assert entry.target == f"ticket:{number}"
    page = await as_role[Role.ADMIN].client.get(f"/aduan/{number}")
    assert "Bukan kewenangan Satpol PP" in page.text


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("tolak", {"reason_code": "bukan_kewenangan", "explanation": "  "}, "wajib diisi"),
        ("tolak", {"reason_code": "alasan_lain", "explanation": "Karena."}, "Pilih alasan"),
        ("tolak", {"reason_code": "", "explanation": "Karena."}, "Pilih alasan"),
        ("alihkan", {"agency": ""}, "Nama instansi tujuan wajib diisi"),
        ("duplikat", {"original": "bukan nomor"}, "Tulis nomor aduan asli"),
        ("duplikat", {"original": "LLS-2020-999999"}, "tidak ditemukan"),
        ("disposisi", {"priority": "sedang"}, "Pilih sedikitnya satu petugas"),
    ],
)
async def test_missing_or_wrong_fields_change_nothing(
    action: str,
    data: dict[str, str],
    message: str,
    as_role: dict[Role, SignedIn],
) -> None:
    status = S.DIVERIFIKASI if action == "disposisi" else S.BARU
    number = await make_ticket(status=status)
    before = await load_ticket(number)
    role = Role.VERIFIKATOR if action == "disposisi" else Role.ADMIN
    response = await post_action(as_role[role], number, action, data)
    assert response.status_code == 400
    assert message in response.text
    after = await load_ticket(number)
    assert (after.status, after.version) == (before.status, before.version)
    assert await outbox_of(number) == []


async def test_a_ticket_cannot_duplicate_itself(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    response = await post_action(as_role[Role.ADMIN], number, "duplikat", {"original": number})
    assert response.status_code == 400
    assert "dirinya sendiri" in response.text


async def test_duplicate_names_the_original(as_role: dict[Role, SignedIn]) -> None:
    original = await make_ticket()
    number = await make_ticket()
    typed = original.replace("-", " ").lower()
    response = await post_action(as_role[Role.ADMIN], number, "duplikat", {"original": typed})
    assert response.status_code == 303
    assert (await load_ticket(number)).duplicate_of_number == original
    [message] = await outbox_of(number)
    assert message.body is not None and original in message.body


async def test_redirect_names_the_agency(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    response = await post_action(
        as_role[Role.ADMIN],
        number,
        "alihkan",
        {"agency": "Dinas Perhubungan", "reason": "Soal rambu lalu lintas.", "contact": "0526-9"},
    )
    assert response.status_code == 303
    ticket = await load_ticket(number)
    assert ticket.redirected_to == "Dinas Perhubungan"
    message, invitation = await outbox_of(number)  # the SKM invitation follows (issue 6)
    assert invitation.kind == "survey_invitation"
    assert message.body is not None
    assert "Dinas Perhubungan" in message.body and "0526-9" in message.body


async def test_reopen_needs_a_reason(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket(status=S.SELESAI)
    response = await post_action(as_role[Role.ADMIN], number, "buka-kembali", {"reason": " "})
    assert response.status_code == 400
    assert "Alasan membuka kembali wajib diisi" in response.text
    assert (await load_ticket(number)).status is S.SELESAI
    assert await outbox_of(number) == []


async def test_reopen_tells_the_citizen_only_the_citizen_reason(
    as_role: dict[Role, SignedIn],
) -> None:
    number = await make_ticket(status=S.TIDAK_DAPAT_DITINDAKLANJUTI)
    response = await post_action(
        as_role[Role.ADMIN],
        number,
        "buka-kembali",
        {"reason": "Salah pilih alasan (internal)", "citizen_reason": "Foto baru diterima."},
    )
    assert response.status_code == 303
    ticket = await load_ticket(number)
    assert ticket.status is S.BARU
    assert ticket.closing_reason_code is None
    [message] = await outbox_of(number)
    assert message.body is not None
    assert "Foto baru diterima." in message.body
    assert "internal" not in message.body


async def test_a_stale_form_overwrites_nothing(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    first, second = as_role[Role.ADMIN], as_role[Role.SUPERADMIN]
    page_one = await first.client.get(f"/aduan/{number}")
    page_two = await second.client.get(f"/aduan/{number}")
    version = await version_of(number)
    assert f'name="version" value="{version}"' in page_one.text
    assert f'name="version" value="{version}"' in page_two.text

    done = await post_action(first, number, "verifikasi", version=version)
    assert done.status_code == 303
    late = await post_action(
        second,
        number,
        "tolak",
        {"reason_code": "bukti_tidak_cukup", "explanation": "Foto tidak jelas."},
        version=version,
    )
    assert late.status_code == 409
    assert "Aduan ini sudah diubah oleh petugas lain" in late.text
    # The page shows the current state and a fresh version for a new attempt.
    assert f'name="version" value="{version + 1}"' in late.text
    ticket = await load_ticket(number)
    assert ticket.status is S.DIVERIFIKASI
    assert ticket.closing_reason_code is None
    assert [m.event for m in await outbox_of(number)] == ["verified"]
    assert [e.to_status for e in await events_of(number)] == ["baru", "diverifikasi"]


async def test_a_form_without_version_is_refused(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    admin = as_role[Role.ADMIN]
    response = await admin.client.post(
        f"/aduan/{number}/verifikasi", data={"csrf_token": admin.csrf}
    )
    assert response.status_code == 400
    assert "Formulir tidak lengkap" in response.text
    assert (await load_ticket(number)).status is S.BARU


async def test_nothing_is_saved_when_a_later_step_is_refused(
    as_role: dict[Role, SignedIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lalisa.tickets.workflow

    async def refuse_to_queue(*_args: Any, **_kwargs: Any) -> None:
        raise lalisa.tickets.workflow.WorkflowError("Pesan tidak dapat disiapkan.")

    number = await make_ticket()
    monkeypatch.setattr(lalisa.tickets.workflow, "enqueue_citizen_update", refuse_to_queue)
    response = await post_action(as_role[Role.ADMIN], number, "verifikasi")
    assert response.status_code == 400
    assert "Pesan tidak dapat disiapkan." in response.text
    ticket = await load_ticket(number)
    assert (ticket.status, ticket.version, ticket.verified_at) == (S.BARU, 1, None)
    assert len(await events_of(number)) == 1
    assert await audit_entries(audit.TICKET_VERIFIED) == []


async def test_nothing_is_queued_when_the_request_fails(
    app: FastAPI, as_role: dict[Role, SignedIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lalisa.tickets.workflow

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    number = await make_ticket()
    monkeypatch.setattr(lalisa.tickets.workflow.audit, "record", broken)
    admin = as_role[Role.ADMIN]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, cookies=admin.client.cookies
    ) as client:
        response = await client.post(
            f"/aduan/{number}/verifikasi", data={"csrf_token": admin.csrf, "version": "1"}
        )
    assert response.status_code == 500
    ticket = await load_ticket(number)
    assert ticket.status is S.BARU
    assert ticket.version == 1
    assert await outbox_of(number) == []
    assert len(await events_of(number)) == 1


async def test_no_whatsapp_message_for_a_reporter_from_another_channel(
    as_role: dict[Role, SignedIn],
) -> None:
    number = await make_ticket(channel="web", sender="web-user-17")
    response = await post_action(as_role[Role.ADMIN], number, "verifikasi")
    assert response.status_code == 303
    assert (await load_ticket(number)).status is S.DIVERIFIKASI
    assert await outbox_of(number) == []


async def test_citizen_messages_carry_no_staff_identity_and_go_to_the_reporter(
    as_role: dict[Role, SignedIn],
) -> None:
    from lalisa.core.crypto import get_identity_cipher

    number = await make_ticket()
    await post_action(as_role[Role.ADMIN], number, "verifikasi")
    [message] = await outbox_of(number)
    assert get_identity_cipher().decrypt(message.recipient_phone_encrypted) == REPORTER_PHONE
    assert message.body is not None and number in message.body
    assert REPORTER_NAME not in message.body
    assert message.idempotency_key.startswith("citizen_update:ticket_event:")


async def test_pimpinan_and_trc_cannot_change_tickets(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    for role in (Role.PIMPINAN, Role.KOMANDAN_TRC, Role.PETUGAS_TRC, Role.VERIFIKATOR):
        response = await post_action(as_role[role], number, "verifikasi")
        assert response.status_code == 403, role
    assert (await load_ticket(number)).status is S.BARU


async def test_verifikator_dispatches_but_admin_does_not(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    number = await make_ticket(status=S.DIVERIFIKASI)
    data = {"officer_id": str(users[Role.PETUGAS_TRC].id), "priority": "sedang"}
    assert (await post_action(as_role[Role.ADMIN], number, "disposisi", data)).status_code == 403
    assert (
        await post_action(as_role[Role.VERIFIKATOR], number, "disposisi", data)
    ).status_code == 303


async def test_simultaneous_submissions_apply_once(as_role: dict[Role, SignedIn]) -> None:
    """Two officers submit at the same moment from the same page: one wins, one is told."""
    import asyncio

    number = await make_ticket()
    version = await version_of(number)
    verified, refused = await asyncio.gather(
        post_action(as_role[Role.ADMIN], number, "verifikasi", version=version),
        post_action(
            as_role[Role.SUPERADMIN],
            number,
            "tolak",
            {"reason_code": "bukti_tidak_cukup", "explanation": "Foto tidak jelas."},
            version=version,
        ),
    )
    codes = sorted([verified.status_code, refused.status_code])
    assert codes == [303, 409]
    loser = verified if verified.status_code == 409 else refused
    assert "sudah diubah oleh petugas lain" in loser.text
    ticket = await load_ticket(number)
    assert ticket.version == version + 1
    # Whichever officer wins, the citizen hears of that one change only; a refusal closes the
    # ticket, so it also invites the citizen to the survey.
    verified_won = ticket.status is S.DIVERIFIKASI
    expected_events = (
        ["verified"]
        if verified_won
        else ["closed_tidak_dapat_ditindaklanjuti", "survey_invitation"]
    )
    assert [message.event for message in await outbox_of(number)] == expected_events
    assert len(await events_of(number)) == 2
