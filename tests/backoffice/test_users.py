"""User management by the superadmin, and the audit entries it leaves."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from backoffice.auth import service
from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.users.models import BackofficeSession, User
from tests.backoffice.helpers import (
    TEST_PASSWORD,
    SignedIn,
    add_user,
    audit_entries,
    login,
    make_client,
    reload_user,
)

_PASSWORD_RE = re.compile(r'<code class="secret">([^<]+)</code>')


def _shown_password(html: str) -> str:
    match = _PASSWORD_RE.search(html)
    assert match is not None, "no password on the page"
    return match.group(1)


async def _sessions_of(user_id: int) -> int:
    async with session_scope() as session:
        result = await session.execute(
            select(func.count())
            .select_from(BackofficeSession)
            .where(BackofficeSession.user_id == user_id)
        )
        return int(result.scalar_one())


async def test_user_list_shows_everyone(superadmin: SignedIn) -> None:
    page = await superadmin.client.get("/users")
    assert page.status_code == 200
    for role in Role:
        assert f">{role.value}</a>" in page.text
    assert "Tambah pengguna" in page.text


async def test_create_user_shows_the_generated_password_once(
    app: FastAPI, superadmin: SignedIn
) -> None:
    response = await superadmin.client.post(
        "/users",
        data={
            "csrf_token": superadmin.csrf,
            "username": "Siti.TRC",
            "full_name": "  Siti   Aminah ",
            "role": "petugas_trc",
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    password = _shown_password(response.text)
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password)
    assert "hanya ditampilkan sekali" in response.text

    user = await reload_user("siti.trc")
    assert user.full_name == "Siti Aminah"
    assert user.role is Role.PETUGAS_TRC
    assert user.active
    assert user.must_change_password
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash

    # The password is not shown anywhere else afterwards.
    for path in ("/users", f"/users/{user.id}", "/audit"):
        assert password not in (await superadmin.client.get(path)).text

    async with make_client(app) as officer:
        signed_in = await login(officer, "siti.trc", password)
        assert signed_in.headers["location"] == "/account/password"

    [entry] = await audit_entries(audit.USER_CREATED)
    assert entry.actor == "superadmin"
    assert entry.target == "user:siti.trc"
    assert json.loads(entry.detail or "") == {"full_name": "Siti Aminah", "role": "petugas_trc"}


@pytest.mark.parametrize(
    ("username", "full_name", "role", "message"),
    [
        ("ab", "Nama", "admin", "Nama pengguna 3–64 karakter"),
        ("budi santoso", "Nama", "admin", "Nama pengguna 3–64 karakter"),
        ("budi", "   ", "admin", "Nama lengkap wajib diisi."),
        ("budi", "Nama", "raja", "Pilih peran pengguna."),
        ("admin", "Nama", "admin", "sudah dipakai"),
    ],
)
async def test_create_user_validation(
    superadmin: SignedIn, username: str, full_name: str, role: str, message: str
) -> None:
    response = await superadmin.client.post(
        "/users",
        data={
            "csrf_token": superadmin.csrf,
            "username": username,
            "full_name": full_name,
            "role": role,
        },
    )
    assert response.status_code == 400
    assert message in response.text
    assert await audit_entries(audit.USER_CREATED) == []


async def test_change_role(as_role: dict[Role, SignedIn]) -> None:
    superadmin, target = as_role[Role.SUPERADMIN], as_role[Role.ADMIN]
    response = await superadmin.client.post(
        f"/users/{target.user.id}/role", data={"csrf_token": superadmin.csrf, "role": "pimpinan"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/users/{target.user.id}?notice=role_changed"
    assert (await reload_user("admin")).role is Role.PIMPINAN
    # The change applies at once to the running session.
    assert (await target.client.get("/")).status_code == 200
    assert "Pimpinan" in (await target.client.get("/")).text
    [entry] = await audit_entries(audit.USER_ROLE_CHANGED)
    assert (entry.actor, entry.target) == ("superadmin", "user:admin")
    assert json.loads(entry.detail or "") == {"from": "admin", "to": "pimpinan"}


async def test_deactivate_ends_sessions_and_blocks_login(
    app: FastAPI, as_role: dict[Role, SignedIn]
) -> None:
    superadmin, target = as_role[Role.SUPERADMIN], as_role[Role.VERIFIKATOR]
    assert await _sessions_of(target.user.id) == 1
    response = await superadmin.client.post(
        f"/users/{target.user.id}/deactivate", data={"csrf_token": superadmin.csrf}
    )
    assert response.status_code == 303
    assert not (await reload_user("verifikator")).active
    assert await _sessions_of(target.user.id) == 0
    assert (await target.client.get("/")).status_code == 303
    async with make_client(app) as again:
        assert (await login(again, "verifikator", TEST_PASSWORD)).status_code == 401

    response = await superadmin.client.post(
        f"/users/{target.user.id}/activate", data={"csrf_token": superadmin.csrf}
    )
    assert response.status_code == 303
    assert (await reload_user("verifikator")).active
    assert [e.action for e in await audit_entries() if e.action.startswith("user_")] == [
        audit.USER_DEACTIVATED,
        audit.USER_ACTIVATED,
    ]


async def test_reset_password_unlocks_and_ends_sessions(
    app: FastAPI, as_role: dict[Role, SignedIn]
) -> None:
    superadmin, target = as_role[Role.SUPERADMIN], as_role[Role.KOMANDAN_TRC]
    response = await superadmin.client.post(
        f"/users/{target.user.id}/reset-password", data={"csrf_token": superadmin.csrf}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    password = _shown_password(response.text)
    assert await _sessions_of(target.user.id) == 0
    user = await reload_user("komandan_trc")
    assert user.must_change_password
    assert user.locked_until is None
    async with make_client(app) as officer:
        assert (await login(officer, "komandan_trc", password)).status_code == 303
    [entry] = await audit_entries(audit.USER_PASSWORD_RESET)
    assert (entry.actor, entry.target) == ("superadmin", "user:komandan_trc")
    assert password not in (entry.detail or "")


async def test_superadmin_cannot_lock_themself_out(superadmin: SignedIn) -> None:
    me = superadmin.user.id
    for path, data, message in [
        (f"/users/{me}/deactivate", {}, "akun Anda sendiri"),
        (f"/users/{me}/role", {"role": "admin"}, "akun Anda sendiri"),
        (f"/users/{me}/reset-password", {}, "halaman Kata sandi"),
    ]:
        response = await superadmin.client.post(path, data={"csrf_token": superadmin.csrf, **data})
        assert response.status_code == 400, path
        assert message in response.text
    user = await reload_user("superadmin")
    assert user.active
    assert user.role is Role.SUPERADMIN


async def test_last_active_superadmin_stays(users: dict[Role, User]) -> None:
    await add_user("lama", Role.SUPERADMIN, active=False)  # an inactive one does not count
    async with session_scope() as session:
        only = await session.get(User, users[Role.SUPERADMIN].id)
        actor = await session.get(User, users[Role.ADMIN].id)
        assert only is not None and actor is not None
        with pytest.raises(service.UserError, match="minimal satu superadmin"):
            await service.change_role(session, user=only, role=Role.ADMIN, actor=actor)
        with pytest.raises(service.UserError, match="minimal satu superadmin"):
            await service.set_active(session, user=only, active=False, actor=actor)
    await add_user("cadangan", Role.SUPERADMIN)
    async with session_scope() as session:
        first = await session.get(User, users[Role.SUPERADMIN].id)
        actor = await session.get(User, users[Role.ADMIN].id)
        assert first is not None and actor is not None
        await service.change_role(session, user=first, role=Role.ADMIN, actor=actor)
    assert (await reload_user("superadmin")).role is Role.ADMIN


async def test_unknown_user_is_404(superadmin: SignedIn) -> None:
    response = await superadmin.client.get("/users/987654")
    assert response.status_code == 404
    assert "tidak ditemukan" in response.text
    response = await superadmin.client.get("/users/bukan-angka")
    assert response.status_code == 422
