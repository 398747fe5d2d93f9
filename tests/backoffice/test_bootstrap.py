"""First superadmin: ``python -m backoffice.bootstrap`` and ``backoffice.create_superadmin``."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select

from backoffice import bootstrap, create_superadmin
from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.db import dispose_engine, session_scope
from lalisa.core.models import AuditLog
from lalisa.users.models import User
from tests.backoffice.helpers import add_user, audit_entries, login, make_client, reload_user

REPO = Path(__file__).resolve().parents[2]
_PASSWORD_LINE = re.compile(r"Kata sandi\s*:\s*(\S+)")


def _password_in(output: str) -> str:
    match = _PASSWORD_LINE.search(output)
    assert match is not None, output
    return match.group(1)


_PASSWORD_FILE = re.compile(r"ada di berkas (\S+)")


def _bootstrap_password(output: str) -> str:
    """The password ``bootstrap`` wrote to its 0600 file; the output only names the file."""
    match = _PASSWORD_FILE.search(output)
    assert match is not None, output
    path = Path(match.group(1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = _password_in(path.read_text(encoding="utf-8"))
    assert password not in output
    return password


async def _all_users() -> list[User]:
    async with session_scope() as session:
        return list((await session.execute(select(User).order_by(User.id))).scalars().all())


async def _run(main: object, argv: list[str]) -> int:
    # The tools call asyncio.run(); run them in a thread, as from a fresh process.
    assert callable(main)
    result = await asyncio.to_thread(main, argv)
    assert isinstance(result, int)
    return result


async def test_bootstrap_creates_one_superadmin_once(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _run(bootstrap.main, []) == 0
    first = capsys.readouterr().out
    password = _bootstrap_password(first)
    assert "superadmin" in first
    assert "tidak ditampilkan di layar atau log" in first

    [user] = await _all_users()
    assert (user.username, user.role, user.active) == ("superadmin", Role.SUPERADMIN, True)
    assert user.must_change_password
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash

    assert await _run(bootstrap.main, []) == 0
    second = capsys.readouterr().out
    assert "tidak ada akun yang dibuat" in second
    assert password not in second
    assert len(await _all_users()) == 1

    async with make_client(app) as client:
        response = await login(client, "superadmin", password)
        assert response.headers["location"] == "/account/password"

    [entry] = await audit_entries(audit.USER_CREATED)
    assert (entry.actor, entry.target) == ("system", "user:superadmin")
    assert '"via": "bootstrap"' in (entry.detail or "")


async def test_bootstrap_does_nothing_when_any_user_exists(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await add_user("budi", Role.ADMIN)
    assert await _run(bootstrap.main, []) == 0
    assert "Kata sandi" not in capsys.readouterr().out
    assert [user.username for user in await _all_users()] == ["budi"]


async def test_bootstrap_passwords_differ(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    passwords = set()
    for _ in range(2):
        assert await _run(bootstrap.main, []) == 0
        passwords.add(_bootstrap_password(capsys.readouterr().out))
        async with session_scope() as session:
            await session.execute(delete(User))
    assert len(passwords) == 2


async def test_create_superadmin(app: FastAPI, capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run(create_superadmin.main, ["Kasi.Ops", "--full-name", "Kasi Operasi"]) == 0
    password = _password_in(capsys.readouterr().out)
    user = await reload_user("kasi.ops")
    assert (user.full_name, user.role) == ("Kasi Operasi", Role.SUPERADMIN)
    async with make_client(app) as client:
        assert (await login(client, "kasi.ops", password)).status_code == 303

    # An existing name is refused unless a reset is asked for.
    assert await _run(create_superadmin.main, ["kasi.ops"]) == 1
    assert "sudah ada" in capsys.readouterr().err

    assert await _run(create_superadmin.main, ["kasi.ops", "--reset-password"]) == 0
    new_password = _password_in(capsys.readouterr().out)
    assert new_password != password
    async with make_client(app) as client:
        assert (await login(client, "kasi.ops", password)).status_code == 401
    async with make_client(app) as client:
        assert (await login(client, "kasi.ops", new_password)).status_code == 303
    assert [e.action for e in await audit_entries() if e.actor == "system"] == [
        audit.USER_CREATED,
        audit.USER_PASSWORD_RESET,
    ]


async def test_create_superadmin_rejects_bad_names(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _run(create_superadmin.main, ["x"]) == 1
    assert "Nama pengguna" in capsys.readouterr().err
    assert await _all_users() == []


async def test_tools_explain_a_missing_schema(
    lalisa_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # lalisa_env points DATABASE_URL at an empty, unmigrated SQLite file.
    assert await _run(bootstrap.main, []) == 2
    assert "python -m lalisa.migrate" in capsys.readouterr().err


def test_bootstrap_as_a_process(database_url: str, lalisa_env: dict[str, str]) -> None:
    """What ``make run`` calls: the module runs as a program and names the password file."""
    asyncio.run(_empty_users())
    env = {**os.environ, "DATABASE_URL": database_url}
    first = subprocess.run(
        [sys.executable, "-m", "backoffice.bootstrap"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert _bootstrap_password(first.stdout)
    second = subprocess.run(
        [sys.executable, "-m", "backoffice.bootstrap"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Kata sandi" not in second.stdout
    asyncio.run(_empty_users())


async def _empty_users() -> None:
    try:
        async with session_scope() as session:
            await session.execute(delete(User))
            await session.execute(delete(AuditLog))
    finally:
        await dispose_engine()
