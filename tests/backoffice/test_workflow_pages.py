"""The inbox and the ticket page: content, filters, counts, media, escaping, notes, resend."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.core.settings import get_settings
from lalisa.notifications.models import OutboxMessage, OutboxStatus
from lalisa.places.hotspots import coarsen
from lalisa.tickets.models import TicketStatus
from tests.backoffice.helpers import SignedIn, audit_entries
from tests.backoffice.workflow_helpers import (
    REPORTER_NAME,
    REPORTER_PHONE,
    add_media,
    make_ticket,
    notes_of,
    outbox_of,
    post_action,
)

S = TicketStatus
XSS = '<script>alert("aduan")</script><img src=x onerror=alert(1)>'


def _row_numbers(html: str) -> list[str]:
    return re.findall(r'<tr class="ticket-row[^"]*" data-number="([^"]+)"', html)


async def test_inbox_lists_flagged_and_new_first_with_counts(as_role: dict[Role, SignedIn]) -> None:
    now = datetime.now(timezone.utc)
    old_new = await make_ticket(created_at=now - timedelta(hours=5))
    verified = await make_ticket(created_at=now - timedelta(hours=1), status=S.DIVERIFIKASI)
    newest = await make_ticket(created_at=now - timedelta(minutes=30))
    done = await make_ticket(created_at=now - timedelta(hours=2), status=S.SELESAI)

    page = await as_role[Role.ADMIN].client.get("/aduan")
    assert page.status_code == 200
    assert _row_numbers(page.text) == [newest, old_new, verified, done]
    assert 'data-count="semua">4<' in page.text
    assert 'data-count="baru">2<' in page.text
    assert 'data-count="diverifikasi">1<' in page.text
    assert 'data-count="selesai">1<' in page.text
    assert 'data-count="terbuka">3<' in page.text
    assert '<script src="/static/inbox.js" defer></script>' in page.text
    assert "Pedagang kaki lima" in page.text


async def test_inbox_filters_and_search(as_role: dict[Role, SignedIn]) -> None:
    tz = get_settings().office.tz
    day = datetime(2026, 3, 10, 10, 0, tzinfo=tz)
    a = await make_ticket(category="pkl", kecamatan="Juai", created_at=day)
    b = await make_ticket(category="miras", kecamatan="Halong", created_at=day + timedelta(days=2))
    c = await make_ticket(
        category="pkl", kecamatan="Halong", created_at=day + timedelta(days=5), status=S.SELESAI
    )
    client = as_role[Role.VERIFIKATOR].client

    async def rows(query: str) -> list[str]:
        response = await client.get(f"/aduan?{query}")
        assert response.status_code == 200
        return _row_numbers(response.text)

    assert set(await rows("kategori=pkl")) == {a, c}
    assert set(await rows("kecamatan=Halong")) == {b, c}
    assert set(await rows("status=selesai")) == {c}
    assert set(await rows("status=terbuka")) == {a, b}
    assert set(await rows("dari=2026-03-11&sampai=2026-03-12")) == {b}
    assert set(await rows("sampai=2026-03-10")) == {a}
    assert await rows(f"cari={b.lower().replace('-', ' ')}") == [b]
    assert await rows(f"cari={b[-6:]}") == [b]
    assert await rows("cari=LLS-1999-000001") == []
    response = await client.get("/aduan?dari=kemarin")
    assert "Tanggal awal tidak valid" in response.text
    assert response.status_code == 200


async def test_inbox_overdue_filter_and_flags(as_role: dict[Role, SignedIn]) -> None:
    now = datetime.now(timezone.utc)
    late = await make_ticket(created_at=now - timedelta(days=4))
    fresh = await make_ticket(created_at=now - timedelta(hours=1))
    late_but_closed = await make_ticket(created_at=now - timedelta(days=20), status=S.SELESAI)
    client = as_role[Role.ADMIN].client
    page = await client.get("/aduan?terlambat=1")
    assert _row_numbers(page.text) == [late]
    assert "Lewat: Respons pertama (3 hari)" in page.text
    assert 'data-count="terlambat">1<' in page.text
    everything = await client.get("/aduan")
    assert {fresh, late_but_closed} <= set(_row_numbers(everything.text))


async def test_summary_endpoint_for_auto_refresh(as_role: dict[Role, SignedIn]) -> None:
    client = as_role[Role.PIMPINAN].client
    empty = (await client.get("/aduan/ringkasan")).json()
    assert empty["latest_id"] == 0
    await make_ticket()
    response = await client.get("/aduan/ringkasan")
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["latest_id"] > 0
    assert data["counts"]["baru"] == 1
    assert REPORTER_PHONE not in response.text


async def test_inbox_script_is_self_hosted(as_role: dict[Role, SignedIn]) -> None:
    client = as_role[Role.ADMIN].client
    for name in ("inbox.js", "nav-badge.js"):
        script = await client.get(f"/static/{name}")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert "http://" not in script.text and "https://" not in script.text
    page = await client.get("/aduan")
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/static/nav-badge.js" defer>',
        '<script src="/static/inbox.js" defer>',
    ]
    assert 'data-summary-url="/aduan/ringkasan"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_ticket_page_shows_what_the_citizen_gave(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket(description="Baris satu\nBaris dua", kecamatan="Paringin")
    page = await as_role[Role.ADMIN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    text = page.text
    assert "Pedagang kaki lima (PKL) di tempat terlarang" in text
    assert "Baris satu\nBaris dua" in text
    assert "Depan pasar, dekat pos ojek" in text
    assert "Desa/Kel. Paringin Kota, Kec. Paringin" in text
    assert (
        'href="https://www.openstreetmap.org/?mlat=-2.330100&amp;mlon=115.470200'
        '#map=18/-2.330100/115.470200"'
    ) in text
    assert "tadi pagi jam 7" in text
    assert "Aduan diterima" in text  # the creation event
    assert "Respons pertama (3 hari)" in text
    assert "Identitas dirahasiakan" in text
    assert REPORTER_PHONE not in text and REPORTER_NAME not in text
    assert 'id="btn-verifikasi"' in text


async def test_ticket_page_shows_the_citizens_own_words_for_the_category(
    as_role: dict[Role, SignedIn],
) -> None:
    """A category the form could not read is filed as Lainnya with the citizen's words."""
    number = await make_ticket(category="lainnya", category_told="karoke ilegal <b>")
    page = (await as_role[Role.ADMIN].client.get(f"/aduan/{number}")).text
    assert "Jenis menurut pelapor" in page
    assert 'id="ticket-category-told">karoke ilegal &lt;b&gt;</dd>' in page
    plain = (await as_role[Role.ADMIN].client.get(f"/aduan/{await make_ticket()}")).text
    assert "Jenis menurut pelapor" not in plain and 'id="ticket-category-told"' not in plain


async def test_pimpinan_see_the_pin_coarsened_like_on_the_map(
    as_role: dict[Role, SignedIn],
) -> None:
    number = await make_ticket(kecamatan="Paringin")
    page = (await as_role[Role.PIMPINAN].client.get(f"/aduan/{number}")).text
    latitude, longitude = coarsen(-2.3301, 115.4702)
    assert f"mlat={latitude:.6f}&amp;mlon={longitude:.6f}#map=15/" in page
    assert f"({latitude:.5f}, {longitude:.5f})" in page
    assert 'id="pin-coarse"' in page
    assert "-2.330100" not in page and "115.470200" not in page
    assert "-2.33010" not in page and "115.47020" not in page
    exact = (await as_role[Role.VERIFIKATOR].client.get(f"/aduan/{number}")).text
    assert "mlat=-2.330100&amp;mlon=115.470200" in exact
    assert 'id="pin-coarse"' not in exact


async def test_everything_from_citizens_and_officers_is_escaped(
    as_role: dict[Role, SignedIn],
) -> None:
    number = await make_ticket(description=XSS, kecamatan=XSS, desa=None)
    admin = as_role[Role.ADMIN]
    note = await admin.client.post(
        f"/aduan/{number}/catatan", data={"csrf_token": admin.csrf, "body": XSS}
    )
    assert note.status_code == 303
    await post_action(
        admin,
        number,
        "tolak",
        {"reason_code": "lainnya", "explanation": XSS, "contact": XSS},
    )
    for role in (Role.ADMIN, Role.PIMPINAN):
        page = await as_role[role].client.get(f"/aduan/{number}")
        assert "<script>alert" not in page.text
        assert "onerror=alert(1)>" not in page.text
        assert "&lt;script&gt;alert(&#34;aduan&#34;)&lt;/script&gt;" in page.text
    inbox = await admin.client.get("/aduan")
    assert "<script>alert" not in inbox.text
    assert "&lt;script&gt;" in inbox.text  # kecamatan column


async def test_pimpinan_reads_without_any_form(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    page = await as_role[Role.PIMPINAN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    assert 'id="tindakan"' not in page.text
    assert 'id="form-catatan"' not in page.text
    assert "Tampilkan identitas pelapor" not in page.text
    assert 'method="post" action="/aduan/' not in page.text


async def test_role_sees_only_its_actions(as_role: dict[Role, SignedIn]) -> None:
    new = await make_ticket()
    verified = await make_ticket(status=S.DIVERIFIKASI)
    admin_new = (await as_role[Role.ADMIN].client.get(f"/aduan/{new}")).text
    for form_id in ("form-verifikasi", "form-tolak", "form-alihkan", "form-duplikat"):
        assert f'id="{form_id}"' in admin_new
    assert 'id="form-disposisi"' not in admin_new
    verifikator = (await as_role[Role.VERIFIKATOR].client.get(f"/aduan/{verified}")).text
    assert 'id="form-disposisi"' in verifikator
    assert 'id="form-tolak"' in verifikator
    assert 'id="form-verifikasi"' not in verifikator
    assert 'id="form-alihkan"' not in verifikator
    assert "Petugas komandan_trc" in verifikator  # TRC user in the dispatch form
    assert "belum ada nomor WhatsApp" in verifikator


async def test_unknown_ticket_is_404(as_role: dict[Role, SignedIn]) -> None:
    response = await as_role[Role.ADMIN].client.get("/aduan/LLS-2026-999999")
    assert response.status_code == 404
    assert "Aduan tidak ditemukan" in response.text


async def test_media_is_served_only_through_the_authenticated_route(
    as_role: dict[Role, SignedIn],
) -> None:
    media_dir = get_settings().storage.media_dir
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / "abc.jpg").write_bytes(b"\xff\xd8\xff\xe0JPEG")
    outside = media_dir.parent / "rahasia.txt"
    outside.write_text("bukan untuk dilihat", encoding="utf-8")
    number = await make_ticket()
    inside_id = await add_media(number, str(media_dir / "abc.jpg"))
    relative_id = await add_media(number, "abc.jpg")
    escape_id = await add_media(number, "../rahasia.txt", mime="text/plain", media_type="document")
    missing_id = await add_media(number, "tidak-ada.jpg")
    html_id = await add_media(number, "abc.jpg", mime="text/html", media_type="document")
    admin = as_role[Role.ADMIN].client

    page = await admin.get(f"/aduan/{number}")
    assert f'src="/aduan/{number}/media/{inside_id}"' in page.text
    assert "foto &lt;b&gt;pasar&lt;/b&gt;" in page.text

    for media_id in (inside_id, relative_id):
        response = await admin.get(f"/aduan/{number}/media/{media_id}")
        assert response.status_code == 200
        assert response.content == b"\xff\xd8\xff\xe0JPEG"
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["content-disposition"].startswith("inline")
        assert "no-store" in response.headers["cache-control"]
    assert (await admin.get(f"/aduan/{number}/media/{escape_id}")).status_code == 404
    assert (await admin.get(f"/aduan/{number}/media/{missing_id}")).status_code == 404
    download = await admin.get(f"/aduan/{number}/media/{html_id}")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")
    other = await make_ticket()
    assert (await admin.get(f"/aduan/{other}/media/{inside_id}")).status_code == 404
    # TRC officers see media only of tickets dispatched to them.
    trc = as_role[Role.PETUGAS_TRC].client
    assert (await trc.get(f"/aduan/{number}/media/{inside_id}")).status_code == 404
    # Nothing of the media folder is reachable as a static file.
    assert (await admin.get("/static/../var/media/abc.jpg")).status_code == 404


async def test_notes_are_internal(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    verifikator = as_role[Role.VERIFIKATOR]
    empty = await verifikator.client.post(
        f"/aduan/{number}/catatan", data={"csrf_token": verifikator.csrf, "body": "  "}
    )
    assert empty.status_code == 400
    assert "Catatan wajib diisi" in empty.text
    response = await verifikator.client.post(
        f"/aduan/{number}/catatan",
        data={"csrf_token": verifikator.csrf, "body": "Cek dulu dengan kelurahan."},
    )
    assert response.status_code == 303
    [note] = await notes_of(number)
    assert (note.author, note.body) == ("verifikator", "Cek dulu dengan kelurahan.")
    assert await outbox_of(number) == []
    page = await as_role[Role.PIMPINAN].client.get(f"/aduan/{number}")
    assert "Cek dulu dengan kelurahan." in page.text
    [entry] = await audit_entries(audit.TICKET_NOTE_ADDED)
    assert entry.actor == "verifikator"


async def test_delivery_status_and_resend(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket()
    admin = as_role[Role.ADMIN]
    await post_action(admin, number, "verifikasi")
    [message] = await outbox_of(number)
    page = await admin.client.get(f"/aduan/{number}")
    assert f'id="notification-{message.id}" data-status="pending"' in page.text
    assert "Menunggu dikirim" in page.text

    not_failed = await admin.client.post(
        f"/aduan/{number}/notifikasi/{message.id}/kirim-ulang", data={"csrf_token": admin.csrf}
    )
    assert not_failed.status_code == 409

    async with session_scope() as session:
        row = await session.get(OutboxMessage, message.id)
        assert row is not None
        row.status = OutboxStatus.FAILED
        row.attempts = 8
        row.last_error = "Gagal setelah 8 percobaan (131026)."
    page = await admin.client.get(f"/aduan/{number}")
    assert "Gagal setelah 8 percobaan (131026)." in page.text
    assert f'id="btn-kirim-ulang-{message.id}"' in page.text
    pimpinan_page = await as_role[Role.PIMPINAN].client.get(f"/aduan/{number}")
    assert "Kirim ulang" not in pimpinan_page.text

    resent = await admin.client.post(
        f"/aduan/{number}/notifikasi/{message.id}/kirim-ulang", data={"csrf_token": admin.csrf}
    )
    assert resent.status_code == 303
    [again] = await outbox_of(number)
    assert (again.status, again.attempts) == (OutboxStatus.PENDING, 0)
    [entry] = await audit_entries(audit.NOTIFICATION_RESENT)
    assert entry.target == f"ticket:{number}"
    other = await make_ticket()
    wrong_ticket = await admin.client.post(
        f"/aduan/{other}/notifikasi/{message.id}/kirim-ulang", data={"csrf_token": admin.csrf}
    )
    assert wrong_ticket.status_code == 404
