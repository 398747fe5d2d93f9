"""Stored settings and the /pengaturan page: audit, optimistic lock, cache, effects, routes."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.core.settings import reset_settings_cache
from lalisa.notifications import texts
from lalisa.runtime_settings import service as rs
from tests.backoffice.helpers import SignedIn, audit_entries
from tests.backoffice.workflow_helpers import make_ticket, outbox_of, post_action

HOURS = "sen-kam 07:30-15:00; jum 07:30-11:00"
EDITED_VERIFIED = (
    "Kabar baik: laporan *{number}* sudah diverifikasi petugas La-Lisa dan segera diteruskan."
)


@pytest.fixture(autouse=True)
def _fresh_cache(db: str) -> None:
    rs.reset_runtime_settings_cache()
    reset_settings_cache()


async def _save(key: str, raw: str, version: int, actor: str = "superadmin") -> rs.StoredSetting:
    async with session_scope() as session:
        return await rs.save_setting(session, key, raw, actor=actor, expected_version=version)


async def _row(key: str) -> rs.AppSetting | None:
    async with session_scope() as session:
        return await session.get(rs.AppSetting, key)


async def _setting_audits() -> list[dict[str, object]]:
    entries = await audit_entries(audit.SETTING_CHANGED)
    return [{"target": e.target, "actor": e.actor, **json.loads(e.detail or "{}")} for e in entries]


# ------------------------------------------------------------------------------ service


async def test_save_stores_bumps_the_version_and_audits_old_and_new() -> None:
    first = await _save("office.hours", HOURS, 0)
    assert (first.value, first.version, first.updated_by) == (HOURS, 1, "superadmin")
    second = await _save("office.hours", "sen-jum 08:00-16:00", 1, actor="kepala")
    assert second.version == 2

    assert await _setting_audits() == [
        {
            "target": "setting:office.hours",
            "actor": "superadmin",
            "key": "office.hours",
            "old": "mon-thu 08:00-16:00; fri 08:00-16:30",
            "new": HOURS,
            "reset_to_default": False,
            "was_default": True,
        },
        {
            "target": "setting:office.hours",
            "actor": "kepala",
            "key": "office.hours",
            "old": HOURS,
            "new": "sen-jum 08:00-16:00",
            "reset_to_default": False,
            "was_default": False,
        },
    ]
    assert (await rs.load_effective_settings()).value("office.hours") == "sen-jum 08:00-16:00"


async def test_a_text_change_audits_both_full_texts() -> None:
    await _save("teks.VERIFIED_TEXT", EDITED_VERIFIED, 0)
    (entry,) = await _setting_audits()
    assert entry["old"] == texts.VERIFIED_TEXT
    assert entry["new"] == EDITED_VERIFIED


async def test_stale_version_is_refused_and_nothing_is_overwritten() -> None:
    await _save("office.address", "Kantor Satpol PP, Paringin (gedung A)", 0, actor="ani")
    # A second superadmin opened the form before the first one saved (version 0).
    with pytest.raises(rs.SettingConflict) as caught:
        await _save("office.address", "Alamat versi budi", 0, actor="budi")
    assert caught.value.current is not None
    assert caught.value.current.updated_by == "ani"
    # Also after a reset: the row stays, so an old form is still recognised as stale.
    async with session_scope() as session:
        await rs.reset_setting(session, "office.address", actor="ani", expected_version=1)
    with pytest.raises(rs.SettingConflict):
        await _save("office.address", "Alamat versi budi", 1, actor="budi")
    row = await _row("office.address")
    assert row is not None and row.value is None and row.version == 2
    assert [e["actor"] for e in await _setting_audits()] == ["ani", "ani"]


async def test_two_first_saves_at_once_store_one_and_refuse_the_other() -> None:
    async def attempt(actor: str) -> str:
        try:
            async with session_scope() as session:
                await rs.save_setting(
                    session,
                    "office.address",
                    f"Alamat dari {actor}",
                    actor=actor,
                    expected_version=0,
                )
        except rs.SettingConflict:
            return f"conflict:{actor}"
        return f"saved:{actor}"

    results = await asyncio.gather(attempt("ani"), attempt("budi"))
    saved = [r.split(":")[1] for r in results if r.startswith("saved:")]
    assert len(saved) == 1, results
    row = await _row("office.address")
    assert row is not None and row.value == f"Alamat dari {saved[0]}" and row.version == 1
    assert [e["actor"] for e in await _setting_audits()] == saved


async def test_reset_goes_back_to_the_environment_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LALISA_OFFICE_ADDRESS", "Kantor Satpol PP Balangan, Paringin")
    reset_settings_cache()
    assert (await rs.load_effective_settings()).value("office.address") == (
        "Kantor Satpol PP Balangan, Paringin"
    )
    await _save("office.address", "Gedung baru, Paringin", 0)
    assert (await rs.load_effective_settings()).app_settings().office.address == (
        "Gedung baru, Paringin"
    )
    async with session_scope() as session:
        stored = await rs.reset_setting(
            session, "office.address", actor="superadmin", expected_version=1
        )
    assert stored.value is None and stored.version == 2
    effective = await rs.load_effective_settings()
    assert not effective.is_overridden("office.address")
    assert effective.app_settings().office.address == "Kantor Satpol PP Balangan, Paringin"
    reset_entry = (await _setting_audits())[-1]
    assert reset_entry["reset_to_default"] is True
    assert reset_entry["old"] == "Gedung baru, Paringin"
    assert reset_entry["new"] == "Kantor Satpol PP Balangan, Paringin"


async def test_contradicting_sla_deadlines_are_refused() -> None:
    with pytest.raises(rs.SettingValueError, match="Tenggat harus berurutan"):
        await _save("sla.completion_days", "20", 0)  # field check stays 14
    await _save("sla.max_days", "90", 0)
    await _save("sla.field_check_days", "30", 0)
    await _save("sla.completion_days", "20", 0)
    sla = (await rs.load_effective_settings()).sla()
    assert (sla.completion_days, sla.field_check_days, sla.max_days) == (20, 30, 90)
    assert await _row("sla.first_response_days") is None


async def test_cache_serves_until_its_ttl_then_reloads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(rs.CACHE_SECONDS_VARIABLE, "10")
    reset_settings_cache()
    start = 1000.0
    assert (await rs.load_effective_settings(now=start)).value("office.phone") == ""
    # Another process (here: a direct write) stores a value.
    async with session_scope() as session:
        session.add(
            rs.AppSetting(
                key="office.phone",
                value="0526-2028000",
                updated_by="lain",
                updated_at=datetime.now(timezone.utc),
                version=1,
            )
        )
    assert (await rs.load_effective_settings(now=start + 9.9)).value("office.phone") == ""
    refreshed = await rs.load_effective_settings(now=start + 10.0)
    assert refreshed.value("office.phone") == "0526-2028000"
    assert (await rs.read_effective_settings(None)).value("office.phone") == "0526-2028000"


async def test_saving_in_this_process_refreshes_its_cache_at_once() -> None:
    await rs.load_effective_settings()
    await _save("whatsapp.template_language", "en_US", 0)
    wording = (await rs.load_effective_settings()).wording()
    assert wording.citizen_template()[1] == "en_US"


async def test_invalid_stored_value_falls_back_to_the_default() -> None:
    async with session_scope() as session:
        session.add(
            rs.AppSetting(
                key="teks.DUPLICATE_NOTE",
                value="Laporan {nomor_asli} digabung.",
                updated_by="lama",
                updated_at=datetime.now(timezone.utc),
                version=1,
            )
        )
    wording = (await rs.load_effective_settings()).wording()
    assert wording.text("DUPLICATE_NOTE") == texts.DUPLICATE_NOTE


# ------------------------------------------------------------------------- effects


async def test_verification_message_uses_the_edited_text(
    as_role: dict[Role, SignedIn],
) -> None:
    await _save("teks.VERIFIED_TEXT", EDITED_VERIFIED, 0)
    await _save("whatsapp.template_citizen_update", "lalisa_status_v2", 0)
    number = await make_ticket()
    response = await post_action(as_role[Role.ADMIN], number, "verifikasi")
    assert response.status_code == 303
    (message,) = await outbox_of(number)
    assert message.body == EDITED_VERIFIED.format(number=number)
    assert message.template_name == "lalisa_status_v2"


async def test_inbox_overdue_follows_the_edited_deadline(
    as_role: dict[Role, SignedIn],
) -> None:
    await make_ticket(created_at=datetime.now(timezone.utc) - timedelta(days=2))
    admin = as_role[Role.ADMIN].client
    assert 'data-count="terlambat">0<' in (await admin.get("/aduan")).text
    await _save("sla.first_response_days", "1", 0)
    assert 'data-count="terlambat">1<' in (await admin.get("/aduan")).text


# -------------------------------------------------------------------------------- pages


def _version_of(html: str, slug: str) -> str:
    form = re.search(rf'id="form-{slug}".*?name="version" value="(\d+)"', html, re.S)
    assert form is not None
    return form.group(1)


async def test_page_lists_sections_values_and_defaults(superadmin: SignedIn) -> None:
    await _save("office.hours", HOURS, 0, actor="ani")
    page = await superadmin.client.get("/pengaturan")
    assert page.status_code == 200
    assert '<a href="/pengaturan"' in page.text  # the menu entry
    for title in ("Tenggat layanan (SLA)", "Kantor dan jam layanan", "Template WhatsApp"):
        assert title in page.text
    assert 'id="current-office-hours">sen-kam 07:30-15:00; jum 07:30-11:00<' in page.text
    assert 'id="badge-office-hours">diubah<' in page.text
    assert "mon-thu 08:00-16:00; fri 08:00-16:30" in page.text  # the default
    assert "ani, " in page.text
    assert 'id="form-bawaan-office-hours"' in page.text
    assert 'id="form-bawaan-office-phone"' not in page.text  # nothing to reset
    assert _version_of(page.text, "office-hours") == "1"
    assert _version_of(page.text, "office-phone") == "0"
    # Every text of texts.py has its form, with the default shown escaped.
    for name in rs.message_text_keys():
        assert f'id="form-teks-{name.lower().replace("_", "-")}"' in page.text
    assert "{number}" in page.text
    assert "<script>" not in page.text and " style=" not in page.text  # CSP: nothing inline


async def test_save_through_the_form(superadmin: SignedIn) -> None:
    response = await superadmin.client.post(
        "/pengaturan/office.hours",
        data={"csrf_token": superadmin.csrf, "version": "0", "value": HOURS},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/pengaturan?notice=setting_saved#setting-office-hours"
    page = await superadmin.client.get(response.headers["location"])
    assert "Pengaturan disimpan" in page.text
    assert f'id="current-office-hours">{HOURS}<' in page.text
    (entry,) = await _setting_audits()
    assert entry["actor"] == "superadmin" and entry["new"] == HOURS


async def test_form_without_csrf_token_changes_nothing(superadmin: SignedIn) -> None:
    response = await superadmin.client.post(
        "/pengaturan/office.hours", data={"version": "0", "value": HOURS}
    )
    assert response.status_code == 403
    assert await _row("office.hours") is None


async def test_invalid_value_shows_the_error_and_keeps_the_input(superadmin: SignedIn) -> None:
    response = await superadmin.client.post(
        "/pengaturan/teks.VERIFIED_NOTE",
        data={
            "csrf_token": superadmin.csrf,
            "version": "0",
            "value": "Laporan {nomor} <b>diperiksa</b>",
        },
    )
    assert response.status_code == 400
    assert "isian yang tidak dikenal: {nomor}" in response.text
    assert "Laporan {nomor} &lt;b&gt;diperiksa&lt;/b&gt;" in response.text
    assert await _row("teks.VERIFIED_NOTE") is None
    assert await _setting_audits() == []


async def test_concurrent_edit_gets_409_and_keeps_the_first_value(
    as_role: dict[Role, SignedIn],
) -> None:
    first = as_role[Role.SUPERADMIN]
    page = await first.client.get("/pengaturan")
    version = _version_of(page.text, "teks-verified-note")
    await _save("teks.VERIFIED_NOTE", "Laporan sudah dicek petugas lain.", 0, actor="kepala")
    response = await first.client.post(
        "/pengaturan/teks.VERIFIED_NOTE",
        data={"csrf_token": first.csrf, "version": version, "value": "Versi saya."},
    )
    assert response.status_code == 409
    assert "sudah diubah oleh kepala" in response.text
    assert "TIDAK disimpan" in response.text
    assert 'id="submitted-teks-verified-note">Versi saya.<' in response.text
    row = await _row("teks.VERIFIED_NOTE")
    assert row is not None and row.value == "Laporan sudah dicek petugas lain."


async def test_reset_and_history(superadmin: SignedIn) -> None:
    await _save("office.phone", "0526-2028000", 0)
    response = await superadmin.client.post(
        "/pengaturan/office.phone/bawaan", data={"csrf_token": superadmin.csrf, "version": "1"}
    )
    assert response.status_code == 303
    assert "notice=setting_reset" in response.headers["location"]
    assert not (await rs.load_effective_settings()).is_overridden("office.phone")

    history = await superadmin.client.get("/pengaturan/office.phone/riwayat")
    assert history.status_code == 200
    rows = re.findall(r"<tr>\s*<td data-label=\"Waktu\">.*?</tr>", history.text, re.S)
    assert len(rows) == 2
    assert "kembali ke bawaan" in rows[0] and "0526-2028000" in rows[0]
    assert "(kosong)" in rows[1] and "0526-2028000" in rows[1]


async def test_unknown_setting_is_404(superadmin: SignedIn) -> None:
    response = await superadmin.client.post(
        "/pengaturan/tidak.ada", data={"csrf_token": superadmin.csrf, "version": "0", "value": "1"}
    )
    assert response.status_code == 404
    assert (await superadmin.client.get("/pengaturan/tidak.ada/riwayat")).status_code == 404


async def test_menu_entry_only_for_superadmin(as_role: dict[Role, SignedIn]) -> None:
    for role, signed_in in as_role.items():
        home = await signed_in.client.get("/")
        assert ('href="/pengaturan"' in home.text) is (role is Role.SUPERADMIN), role
