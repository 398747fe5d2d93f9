"""The conversation excerpt on the ticket page, read from Rasa's tracker store (``events``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from backoffice.auth.roles import Role
from backoffice.conversations import dispose_tracker_engines
from lalisa.core.crypto import sender_key
from lalisa.core.settings import reset_settings_cache
from lalisa.tickets.models import TicketStatus
from lalisa.users.models import User
from tests.backoffice.helpers import SignedIn
from tests.backoffice.workflow_helpers import (
    REPORTER_NAME,
    REPORTER_PHONE,
    dispatches_of,
    make_ticket,
    post_action,
)

CREATED = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 10.00 WITA
OTHER_SENDER = "6281311112222"
XSS = '<script>alert("percakapan")</script>'

# Rasa 3.6's SQL tracker store table.
EVENTS_DDL = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)
"""


def _row(sender: str, kind: str, at: datetime, text: str | None) -> tuple[object, ...]:
    data: dict[str, object] = {"event": kind, "timestamp": at.timestamp()}
    if text is not None:
        data["text"] = text
    if kind == "bot":
        data["data"] = {"buttons": [{"title": "Ya", "payload": "/affirm"}]}
    action = "action_listen" if kind == "action" else None
    # Rasa knows the citizen by key, never by number.
    return (sender_key(sender), kind, at.timestamp(), None, action, json.dumps(data))


def make_tracker_db(path: Path, rows: list[tuple[object, ...]]) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(EVENTS_DDL)
        connection.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    connection.close()


@pytest.fixture
async def tracker(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    """A SQLite tracker database named by TRACKER_DATABASE_URL (created by each test)."""
    path = tmp_path / "rasa-tracker.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{path}")
    reset_settings_cache()
    yield path
    await dispose_tracker_engines()


def conversation_rows() -> list[tuple[object, ...]]:
    at = CREATED
    return [
        # Outside the window: the day before, and 10 minutes after the complaint.
        _row(REPORTER_PHONE, "user", at - timedelta(hours=3), "pesan lama sekali"),
        _row(REPORTER_PHONE, "user", at + timedelta(minutes=10), "pesan terlambat sekali"),
        # Another citizen at the same time.
        _row(OTHER_SENDER, "user", at - timedelta(minutes=5), "pesan warga lain"),
        _row(OTHER_SENDER, "bot", at - timedelta(minutes=5), "balasan untuk warga lain"),
        # The conversation (inserted out of order: shown by time).
        _row(REPORTER_PHONE, "bot", at - timedelta(minutes=9), "Silakan ceritakan kejadiannya."),
        _row(REPORTER_PHONE, "user", at - timedelta(minutes=10), "mau lapor pkl"),
        _row(REPORTER_PHONE, "action", at - timedelta(minutes=9), None),
        _row(REPORTER_PHONE, "user", at - timedelta(minutes=8), XSS),
        _row(REPORTER_PHONE, "user", at - timedelta(minutes=7), "siti pelapor  rahasia"),
        _row(
            REPORTER_PHONE,
            "bot",
            at - timedelta(minutes=6),
            f"Nama pelapor: {REPORTER_NAME}\nHubungi saya di 0812-9876-5432 atau +{REPORTER_PHONE}",
        ),
        _row(REPORTER_PHONE, "bot", at + timedelta(minutes=1), "Aduan Anda sudah kami terima."),
    ]


async def test_admin_sees_the_conversation_in_order_and_escaped(
    tracker: Path, as_role: dict[Role, SignedIn]
) -> None:
    make_tracker_db(tracker, conversation_rows())
    number = await make_ticket(created_at=CREATED)

    page = await as_role[Role.ADMIN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    html = page.text
    assert 'id="percakapan"' in html
    texts = [
        "mau lapor pkl",
        "Silakan ceritakan kejadiannya.",
        "&lt;script&gt;alert(&#34;percakapan&#34;)&lt;/script&gt;",
        "Aduan Anda sudah kami terima.",
    ]
    positions = [html.index(text) for text in texts]
    assert positions == sorted(positions)
    assert XSS not in html
    for absent in (
        "pesan warga lain",
        "balasan untuk warga lain",
        "pesan lama",
        "terlambat sekali",
    ):
        assert absent not in html
    # The identity is shown only through the logged reveal action, never in the excerpt.
    for secret in (REPORTER_PHONE, "0812", "9876", REPORTER_NAME, "siti pelapor"):
        assert secret not in html
    assert "Nama pelapor: [nama pelapor]" in html
    assert "Hubungi saya di [nomor pelapor] atau [nomor pelapor]" in html
    section = html[html.index('id="percakapan"') : html.index('id="sla"')]
    assert section.count("<strong>Warga</strong>") == 3
    assert section.count("<strong>La-Lisa</strong>") == 3
    assert "10 Mar 2026 09.50 WITA" in section
    assert "Percakapan tidak tersedia" not in html


async def test_superadmin_and_verifikator_see_it_pimpinan_does_not(
    tracker: Path, as_role: dict[Role, SignedIn]
) -> None:
    make_tracker_db(tracker, conversation_rows())
    number = await make_ticket(created_at=CREATED)
    for role in (Role.SUPERADMIN, Role.VERIFIKATOR):
        page = await as_role[role].client.get(f"/aduan/{number}")
        assert page.status_code == 200
        assert "mau lapor pkl" in page.text, role
    page = await as_role[Role.PIMPINAN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    assert "mau lapor pkl" not in page.text
    assert 'id="percakapan"' not in page.text


async def test_trc_dispatch_page_does_not_show_it(
    tracker: Path, as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    make_tracker_db(tracker, conversation_rows())
    number = await make_ticket(created_at=CREATED, status=TicketStatus.DIVERIFIKASI)
    response = await post_action(
        as_role[Role.VERIFIKATOR],
        number,
        "disposisi",
        {"officer_id": [str(users[Role.PETUGAS_TRC].id)], "priority": "sedang"},
    )
    assert response.status_code == 303, response.text
    [dispatch] = await dispatches_of(number)
    petugas = as_role[Role.PETUGAS_TRC].client
    page = await petugas.get(f"/trc/{dispatch.id}")
    assert page.status_code == 200
    assert number in page.text
    assert "mau lapor pkl" not in page.text
    assert "percakapan" not in page.text.lower()
    assert (await petugas.get(f"/aduan/{number}")).status_code == 403


async def test_missing_tracker_database_shows_unavailable(
    tracker: Path, as_role: dict[Role, SignedIn], caplog: pytest.LogCaptureFixture
) -> None:
    number = await make_ticket(created_at=CREATED)
    page = await as_role[Role.ADMIN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    assert "Percakapan tidak tersedia" in page.text
    assert not tracker.exists()  # read-only: the reader never creates Rasa's database
    assert any("tracker store not readable" in r.getMessage() for r in caplog.records)
    assert all(REPORTER_PHONE not in r.getMessage() for r in caplog.records)


async def test_tracker_without_events_table_shows_unavailable(
    tracker: Path, as_role: dict[Role, SignedIn]
) -> None:
    sqlite3.connect(tracker).close()  # a fresh install: the file exists, the table does not
    number = await make_ticket(created_at=CREATED)
    page = await as_role[Role.ADMIN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    assert "Percakapan tidak tersedia" in page.text


async def test_no_messages_in_the_window(tracker: Path, as_role: dict[Role, SignedIn]) -> None:
    make_tracker_db(tracker, [_row(OTHER_SENDER, "user", CREATED, "pesan warga lain")])
    number = await make_ticket(created_at=CREATED)
    page = await as_role[Role.ADMIN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    assert "Tidak ada pesan percakapan" in page.text
    assert "pesan warga lain" not in page.text


def test_tracker_database_url_resolution(tmp_path: Path, identity_key: str) -> None:
    from lalisa.core.settings import load_settings

    base = {"LALISA_IDENTITY_KEY": identity_key, "LALISA_VAR_DIR": str(tmp_path)}
    sqlite = load_settings({**base, "DATABASE_URL": "sqlite:///x.db"}, env_file=None)
    assert sqlite.database.tracker_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    postgres = "postgresql://lalisa:rahasia@db:5432/lalisa"
    shared = load_settings({**base, "DATABASE_URL": postgres}, env_file=None)
    assert shared.database.tracker_url == postgres
    assert "rahasia" not in repr(shared)
    explicit = load_settings(
        {**base, "DATABASE_URL": postgres, "TRACKER_DATABASE_URL": "sqlite:////srv/t.db"},
        env_file=None,
    )
    assert explicit.database.tracker_url == "sqlite:////srv/t.db"
