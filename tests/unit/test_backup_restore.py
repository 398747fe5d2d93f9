"""The restore drill: back up, wipe, restore into a fresh database, and carry on.

Runs on SQLite and, when PostgreSQL is available (``TEST_POSTGRES_URL`` or a PostgreSQL
``DATABASE_URL``, as in CI), on PostgreSQL with pg_dump/pg_restore.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Column, Float, Integer, MetaData, Sequence, String, Table, Text, select, text
from sqlalchemy.engine import make_url

from lalisa import backup
from lalisa.core.crypto import IdentityCipher, IdentityDecryptionError, get_identity_cipher
from lalisa.core.db import create_engine_for_url, dispose_engine, migrate, session_scope
from lalisa.core.settings import reset_settings_cache
from lalisa.tickets.models import Reporter, Ticket, TicketSequence
from lalisa.tickets.service import ComplaintDraft, submit_complaint
from lalisa.tickets.spool import write_spool
from tests.postgres_helpers import DATABASE_BACKENDS, postgres_admin_url, run_admin_sql

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=WITA)
CITIZENS = [("6281234567890", "Siti Aminah"), ("6289876543210", "Budi Santoso")]

BACKENDS = DATABASE_BACKENDS

_rasa_metadata = MetaData()
# Rasa 3.6's SQLTrackerStore table, with its free-standing sequence as Rasa creates it.
rasa_events = Table(
    "events",
    _rasa_metadata,
    Column("id", Integer, Sequence("events_seq"), primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def _admin_sql(statement: str) -> None:
    admin = postgres_admin_url()
    assert admin is not None
    run_admin_sql(admin, statement)


@dataclass
class Drill:
    """Two databases (the original, a fresh one to restore into) and the data folders."""

    source: backup.DataLocations
    target: backup.DataLocations
    backups: Path


@pytest.fixture(params=BACKENDS)
def drill(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    lalisa_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Drill]:
    var = Path(lalisa_env["LALISA_VAR_DIR"])
    created: list[str] = []
    if request.param == "postgresql":
        admin = postgres_admin_url()
        assert admin is not None
        names = [f"lalisa_restore_{uuid.uuid4().hex[:10]}" for _ in range(2)]
        for name in names:
            _admin_sql(f'CREATE DATABASE "{name}"')
            created.append(name)
        source_url, target_url = (
            make_url(admin).set(database=name).render_as_string(hide_password=False)
            for name in names
        )
        # Rasa shares a PostgreSQL database with La-Lisa by default.
        source_tracker, target_tracker = source_url, target_url
    else:
        source_url = f"sqlite:///{var / 'lalisa.db'}"
        source_tracker = f"sqlite:///{var / 'tracker.db'}"
        target_url = f"sqlite:///{tmp_path / 'fresh' / 'lalisa.db'}"
        target_tracker = f"sqlite:///{tmp_path / 'fresh' / 'tracker.db'}"
    var.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DATABASE_URL", source_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", source_tracker)
    reset_settings_cache()
    migrate(source_url)
    source = backup.DataLocations(
        database_url=source_url,
        tracker_database_url=source_tracker,
        media_dir=var / "media",
        spool_dir=var / "spool",
    )
    target = replace(source, database_url=target_url, tracker_database_url=target_tracker)
    try:
        yield Drill(source, target, tmp_path / "backups")
    finally:
        asyncio.run(dispose_engine())
        for name in created:
            _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def draft(index: int) -> ComplaintDraft:
    phone, name = CITIZENS[index % len(CITIZENS)]
    return ComplaintDraft(
        category="pkl",
        description=f"Ada PKL jualan di trotoar depan pasar ({index}).",
        latitude=-2.3463,
        longitude=115.3807,
        kecamatan="Lampihong",
        desa=None,
        location_text="depan pasar lampihong",
        incident_time_text="tadi pagi",
        incident_at=NOW - timedelta(hours=1),
        reporter_sender_id=phone,
        reporter_name=name,
        submission_key=f"wamid.drill.{index}",
    )


async def submit(index: int) -> str:
    async with session_scope() as session:
        ticket = await submit_complaint(session, draft(index), now=NOW)
        return ticket.number


async def use_database(url: str, tracker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    await dispose_engine()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", tracker)
    reset_settings_cache()


async def write_tracker_events(url: str, senders: list[str]) -> None:
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_rasa_metadata.create_all)
            for index, sender in enumerate(senders):
                await connection.execute(
                    rasa_events.insert().values(
                        sender_id=sender,
                        type_name="user",
                        timestamp=NOW.timestamp() + index,
                        intent_name="report_complaint",
                        data=json.dumps({"event": "user", "text": f"laporan {index}"}),
                    )
                )
    finally:
        await engine.dispose()


async def count_rows(url: str, table: str) -> int:
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar())
    finally:
        await engine.dispose()


async def prepare_original(drill: Drill) -> list[str]:
    """Tickets through the domain service, a conversation, media, a spooled complaint."""
    numbers = [await submit(index) for index in range(3)]
    await write_tracker_events(drill.source.tracker_database_url, [c[0] for c in CITIZENS])
    # A counter row edited by hand (or lagging): the restore must still go past the tickets.
    async with session_scope() as session:
        counter = await session.get(TicketSequence, NOW.year)
        assert counter is not None
        counter.last_value = 1
    drill.source.media_dir.mkdir(parents=True, exist_ok=True)
    (drill.source.media_dir / "ab" / "photo.jpg").parent.mkdir(parents=True)
    (drill.source.media_dir / "ab" / "photo.jpg").write_bytes(b"\xff\xd8 bukti")
    write_spool(draft(9))
    return numbers


def wipe(drill: Drill) -> None:
    """The original machine is gone: databases and folders."""
    shutil.rmtree(drill.source.media_dir)
    shutil.rmtree(drill.source.spool_dir)
    if not backup.is_postgresql(drill.source.database_url):
        for url in (drill.source.database_url, drill.source.tracker_database_url):
            Path(make_url(url).database or "").unlink()
    else:
        _admin_sql(f'DROP DATABASE "{make_url(drill.source.database_url).database}" WITH (FORCE)')


async def test_restore_drill(
    drill: Drill, identity_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = await prepare_original(drill)
    await dispose_engine()
    folder = await asyncio.to_thread(backup.create_backup, drill.backups, drill.source, now=NOW)
    await asyncio.to_thread(wipe, drill)

    manifest = backup.read_manifest(folder)
    assert manifest["identity_key_included"] is False
    for path in folder.iterdir():
        assert identity_key.encode() not in path.read_bytes(), path.name
        assert oct(path.stat().st_mode & 0o777) == "0o600", path.name
    assert "LALISA_IDENTITY_KEY" in (folder / backup.NOTE_FILE).read_text(encoding="utf-8")

    if not backup.is_postgresql(drill.target.database_url):
        # A fresh machine: migrated by `make run`/lalisa-migrate before anything else.
        await asyncio.to_thread(migrate, drill.target.database_url)
    counters = await backup.restore_backup(folder, drill.target, counter_margin=0, now=NOW)
    assert counters[NOW.year] == 3

    await use_database(drill.target.database_url, drill.target.tracker_database_url, monkeypatch)
    async with session_scope() as session:
        restored = (await session.execute(select(Ticket.number).order_by(Ticket.number))).all()
        assert [row[0] for row in restored] == sorted(numbers)
        reporters = (await session.execute(select(Reporter))).scalars().all()
        cipher = get_identity_cipher()
        identities = {
            (cipher.decrypt(r.phone_encrypted), cipher.decrypt(r.name_encrypted or ""))
            for r in reporters
        }
        assert identities == set(CITIZENS)
        with pytest.raises(IdentityDecryptionError):
            IdentityCipher(Fernet.generate_key()).decrypt(reporters[0].phone_encrypted)

    assert await count_rows(drill.target.tracker_database_url, "events") == len(CITIZENS)
    photo = drill.target.media_dir / "ab" / "photo.jpg"
    assert photo.read_bytes() == b"\xff\xd8 bukti"
    assert len(list((drill.target.spool_dir / "complaints").glob("*.spool"))) == 1

    # The counter continues after the highest restored number, not after the stale row.
    following = await submit(3)
    assert following == f"LLS-{NOW.year}-000004"
    await dispose_engine()


async def test_restore_skips_a_margin_of_numbers(
    drill: Drill, monkeypatch: pytest.MonkeyPatch
) -> None:
    await prepare_original(drill)
    await dispose_engine()
    folder = await asyncio.to_thread(backup.create_backup, drill.backups, drill.source, now=NOW)
    if not backup.is_postgresql(drill.target.database_url):
        await asyncio.to_thread(migrate, drill.target.database_url)
    later = NOW + timedelta(days=60)  # restored in the new year: its counter gets the margin too
    counters = await backup.restore_backup(folder, drill.target, counter_margin=500, now=later)
    assert counters == {NOW.year: 503, later.year: 500}
    await use_database(drill.target.database_url, drill.target.tracker_database_url, monkeypatch)
    assert await submit(7) == f"LLS-{NOW.year}-000504"
    await dispose_engine()


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL not available")
async def test_postgresql_sequences_are_moved_past_restored_rows(
    drill: Drill, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not backup.is_postgresql(drill.source.database_url):
        pytest.skip("PostgreSQL only")
    await prepare_original(drill)
    await dispose_engine()
    url = drill.source.database_url
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.begin() as connection:
            # As after a data-only restore: the sequences start again at 1.
            await connection.execute(text("SELECT setval('reporters_id_seq', 1, false)"))
            await connection.execute(text("SELECT setval('events_seq', 1, false)"))
    finally:
        await engine.dispose()
    bumped = await backup.bump_postgresql_sequences(url)
    assert bumped["public.reporters_id_seq"] == len(CITIZENS) + 1
    assert bumped["events_seq"] == len(CITIZENS) + 1
    await write_tracker_events(url, ["6281111111111"])
    assert await count_rows(url, "events") == len(CITIZENS) + 1


async def test_refuses_a_dump_of_the_other_kind(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    manifest: dict[str, Any] = {
        "format": backup.BACKUP_FORMAT,
        "database": {"kind": "postgresql", "file": "lalisa.pgdump"},
        "tracker": {"kind": "same-as-database"},
    }
    (folder / backup.MANIFEST).write_text(json.dumps(manifest))
    locations = backup.DataLocations(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        tracker_database_url=f"sqlite:///{tmp_path / 't.db'}",
        media_dir=tmp_path / "media",
        spool_dir=tmp_path / "spool",
    )
    with pytest.raises(backup.BackupError, match="not PostgreSQL"):
        await backup.restore_backup(folder, locations)
    with pytest.raises(backup.BackupError, match="not a La-Lisa backup"):
        backup.read_manifest(tmp_path)


def test_old_backups_are_pruned_but_the_newest_stays(tmp_path: Path) -> None:
    now = datetime(2026, 11, 30, 1, 30, tzinfo=timezone.utc)
    for days in (1, 20, 40):
        (tmp_path / (now - timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")).mkdir()
    (tmp_path / "not-a-backup").mkdir()
    # Left by runs that died half-way: yesterday's goes, tonight's may still be running.
    crashed = "." + (now - timedelta(days=2)).strftime("%Y%m%dT%H%M%SZ") + ".abc123"
    running = "." + now.strftime("%Y%m%dT%H%M%SZ") + ".def456"
    (tmp_path / crashed).mkdir()
    (tmp_path / running).mkdir()
    removed = backup.prune_backups(tmp_path, 14, now=now)
    assert sorted(p.name for p in removed) == [
        crashed,
        (now - timedelta(days=40)).strftime("%Y%m%dT%H%M%SZ"),
        (now - timedelta(days=20)).strftime("%Y%m%dT%H%M%SZ"),
    ]
    assert (tmp_path / running).is_dir()
    later = backup.prune_backups(tmp_path, 0, now=now + timedelta(days=400))
    assert [p.name for p in later] == [running]
    assert len(list(tmp_path.iterdir())) == 2


def test_command_line_backs_up_the_configured_data(
    lalisa_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    var = Path(lalisa_env["LALISA_VAR_DIR"])
    url = f"sqlite:///{var / 'lalisa.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    reset_settings_cache()
    migrate(url)
    assert backup.main(["create", "--dest", str(tmp_path / "out"), "--keep-days", "7"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    manifest = backup.read_manifest(folder)
    assert manifest["database"] == {"kind": "sqlite", "file": "lalisa.sqlite"}
    # Rasa has not run yet: no tracker database to copy.
    assert manifest["tracker"] == {"kind": "absent"}
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
