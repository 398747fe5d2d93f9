"""Spool files hold the reporter's number and name only encrypted with the identity key."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from lalisa.core.db import dispose_engine, session_scope
from lalisa.core.settings import reset_settings_cache
from lalisa.tickets import spool
from lalisa.tickets.models import Ticket
from lalisa.tickets.service import ComplaintDraft

WITA = ZoneInfo("Asia/Makassar")
PHONE = "6281234567890"
NAME = "Siti Aminah"


def draft(key: str = "wamid.spool.1") -> ComplaintDraft:
    return ComplaintDraft(
        category="miras",
        description="Ada yang jual tuak di warung dekat sekolah.",
        latitude=None,
        longitude=None,
        kecamatan="Paringin",
        desa=None,
        location_text="dekat SDN 1 Paringin",
        incident_time_text="tadi malam",
        incident_at=datetime(2026, 11, 15, 21, 0, tzinfo=WITA),
        reporter_sender_id=PHONE,
        reporter_name=NAME,
        submission_key=key,
    )


def write_legacy_plain(d: ComplaintDraft) -> Path:
    """A spool file as written before encryption: plain JSON."""
    path = spool.spool_dir() / (spool._spool_path(d).stem + spool.LEGACY_PLAIN_SUFFIX)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(spool.draft_to_json(d), encoding="utf-8")
    return path


def test_spool_file_is_encrypted(lalisa_env: dict[str, str]) -> None:
    path = spool.write_spool(draft())
    content = path.read_bytes()
    assert PHONE.encode() not in content and NAME.encode() not in content
    assert b"dekat SDN" not in content
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert spool.read_spool(path) == draft()
    assert spool.pending() == [path]


def test_legacy_plain_file_is_read_once_and_rewritten_encrypted(
    lalisa_env: dict[str, str],
) -> None:
    plain = write_legacy_plain(draft())
    assert spool.pending() == [plain]
    assert spool.read_spool(plain) == draft()
    assert not plain.exists()
    (encrypted,) = spool.pending()
    assert encrypted.suffix == spool.ENCRYPTED_SUFFIX
    assert PHONE.encode() not in encrypted.read_bytes()
    assert spool.read_spool(encrypted) == draft()


async def test_legacy_file_is_encrypted_even_while_the_database_is_down(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = write_legacy_plain(draft())
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    reset_settings_cache()
    await dispose_engine()
    assert await spool.replay_spool() == 0
    await dispose_engine()
    assert not plain.exists()
    (left,) = spool.pending()
    assert PHONE.encode() not in left.read_bytes()


async def test_replay_saves_encrypted_and_legacy_files(
    db: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool.write_spool(draft("wamid.spool.new"))
    write_legacy_plain(draft("wamid.spool.old"))
    # Written under another key (e.g. a key that was replaced): kept, reported, not blocking.
    foreign = spool.spool_dir() / f"{'f' * 32}{spool.ENCRYPTED_SUFFIX}"
    foreign.write_text(Fernet(Fernet.generate_key()).encrypt(b"{}").decode(), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="lalisa.tickets.spool"):
        assert await spool.replay_spool() == 2
    assert spool.pending() == [foreign]
    assert "cannot be decrypted" in caplog.text
    async with session_scope() as session:
        assert (await session.execute(select(func.count(Ticket.id)))).scalar_one() == 2
