"""Users, sign-in with lock-out, and server-side sessions.

Every function takes the caller's session and never commits (the request, or the command-line
tool, is the unit of work). Changes to users are written to the audit log in the same
transaction.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from backoffice.auth.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.models import AuditLog, utcnow
from lalisa.core.settings import BackofficeSettings
from lalisa.users.models import BackofficeSession, User

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
"""3–64 characters: lower-case letters, digits, ``.``, ``-``, ``_``; letter or digit first."""
MAX_FULL_NAME = 128
_TOUCH_INTERVAL = timedelta(seconds=60)


class UserError(ValueError):
    """A user change that is refused; the message is Bahasa Indonesia for the officer."""


class LoginOutcome(enum.Enum):
    """Result of a sign-in attempt."""

    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    """What :func:`authenticate` decided.

    Attributes:
        outcome: OK, INVALID (wrong name/password or inactive) or LOCKED.
        user: The user on success, else ``None``.
        locked_until: End of the lock when the account is locked.
    """

    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None


def normalise_username(username: str) -> str:
    """Return the canonical form of a typed username (trimmed, lower case).

    Args:
        username: As typed.

    Returns:
        The canonical username.
    """
    return username.strip().lower()


def _actor_name(actor: User | None) -> str:
    return audit.SYSTEM_ACTOR if actor is None else actor.username


def _target(user: User) -> str:
    return f"user:{user.username}"


# --- users -------------------------------------------------------------------------------------


async def get_user(session: AsyncSession, *, user_id: int) -> User | None:
    """Return a user by id, or ``None``."""
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, *, username: str) -> User | None:
    """Return a user by (normalised) username, or ``None``."""
    result = await session.execute(
        select(User).where(User.username == normalise_username(username))
    )
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession) -> Sequence[User]:
    """Return every user, active ones first, then by username."""
    result = await session.execute(select(User).order_by(User.active.desc(), User.username))
    return result.scalars().all()


async def count_users(session: AsyncSession) -> int:
    """Return the number of users (active or not)."""
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def _active_superadmins(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.SUPERADMIN, User.active.is_(True))
    )
    return int(result.scalar_one())


def validate_new_user(username: str, full_name: str) -> tuple[str, str]:
    """Check and normalise the fields of a new user.

    Args:
        username: Typed username.
        full_name: Typed full name.

    Returns:
        The normalised ``(username, full_name)``.

    Raises:
        UserError: A field is not acceptable.
    """
    username = normalise_username(username)
    full_name = " ".join(full_name.split())
    if not USERNAME_PATTERN.fullmatch(username):
        raise UserError(
            "Nama pengguna 3–64 karakter: huruf kecil, angka, titik, strip atau garis bawah, "
            "diawali huruf atau angka."
        )
    if not full_name:
        raise UserError("Nama lengkap wajib diisi.")
    if len(full_name) > MAX_FULL_NAME:
        raise UserError(f"Nama lengkap maksimal {MAX_FULL_NAME} karakter.")
    return username, full_name


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    full_name: str,
    role: Role,
    password: str | None = None,
    password_hash: str | None = None,
    must_change_password: bool = True,
    actor: User | None,
    via: str | None = None,
) -> tuple[User, str | None]:
    """Create a user and record it in the audit log.

    Args:
        session: Unit of work.
        username: Login name (normalised and validated here).
        full_name: Display name.
        role: The user's role.
        password: Clear-text password; generated when both this and ``password_hash`` are None.
        password_hash: A ready argon2 hash (tests, imports) instead of ``password``.
        must_change_password: Ask the user to choose a new password at first sign-in.
        actor: Superadmin who creates the user; ``None`` for command-line tools.
        via: Recorded in the audit detail (e.g. ``"bootstrap"``).

    Returns:
        The user and the generated password (``None`` when a password or hash was given).

    Raises:
        UserError: Invalid fields or the username is taken.
    """
    username, full_name = validate_new_user(username, full_name)
    if await get_user_by_username(session, username=username) is not None:
        raise UserError(f"Nama pengguna {username} sudah dipakai.")
    generated: str | None = None
    if password_hash is None:
        if password is None:
            generated = password = generate_password()
        password_hash = await hash_password(password)
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=password_hash,
        active=True,
        must_change_password=must_change_password,
        failed_attempts=0,
    )
    session.add(user)
    await session.flush()
    detail: dict[str, str] = {"role": role.value, "full_name": full_name}
    if via:
        detail["via"] = via
    await audit.record(
        session,
        actor=_actor_name(actor),
        action=audit.USER_CREATED,
        target=_target(user),
        detail=detail,
    )
    return user, generated


async def change_role(session: AsyncSession, *, user: User, role: Role, actor: User) -> None:
    """Give a user another role.

    Args:
        session: Unit of work.
        user: The user to change.
        role: The new role.
        actor: The superadmin making the change.

    Raises:
        UserError: The change would leave no active superadmin, or it is the actor's own role.
    """
    if user.role == role:
        return
    if user.id == actor.id:
        raise UserError("Anda tidak dapat mengubah peran akun Anda sendiri.")
    if user.role == Role.SUPERADMIN and user.active and await _active_superadmins(session) <= 1:
        raise UserError("Harus ada minimal satu superadmin aktif.")
    previous = user.role
    user.role = role
    await audit.record(
        session,
        actor=actor.username,
        action=audit.USER_ROLE_CHANGED,
        target=_target(user),
        detail={"from": previous.value, "to": role.value},
    )


async def set_active(session: AsyncSession, *, user: User, active: bool, actor: User) -> None:
    """Deactivate (ending all sessions) or reactivate a user.

    Args:
        session: Unit of work.
        user: The user to change.
        active: The new state.
        actor: The superadmin making the change.

    Raises:
        UserError: The actor deactivates themself, or the last active superadmin.
    """
    if user.active == active:
        return
    if not active:
        if user.id == actor.id:
            raise UserError("Anda tidak dapat menonaktifkan akun Anda sendiri.")
        if user.role == Role.SUPERADMIN and await _active_superadmins(session) <= 1:
            raise UserError("Harus ada minimal satu superadmin aktif.")
        await delete_user_sessions(session, user_id=user.id)
    user.active = active
    await audit.record(
        session,
        actor=actor.username,
        action=audit.USER_ACTIVATED if active else audit.USER_DEACTIVATED,
        target=_target(user),
    )


async def reset_password(session: AsyncSession, *, user: User, actor: User | None) -> str:
    """Give a user a new generated password, unlock the account and end their sessions.

    Args:
        session: Unit of work.
        user: The user.
        actor: The superadmin; ``None`` for command-line tools.

    Returns:
        The new password, to be shown once.
    """
    password = generate_password()
    user.password_hash = await hash_password(password)
    user.must_change_password = True
    user.failed_attempts = 0
    user.locked_until = None
    await delete_user_sessions(session, user_id=user.id)
    await audit.record(
        session,
        actor=_actor_name(actor),
        action=audit.USER_PASSWORD_RESET,
        target=_target(user),
    )
    return password


async def change_own_password(
    session: AsyncSession,
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session_hash: str | None,
) -> None:
    """Let a signed-in user replace their password; other sessions of the user end.

    Args:
        session: Unit of work.
        user: The signed-in user.
        current_password: The password typed as proof.
        new_password: The new password.
        keep_session_hash: ``id_hash`` of the session to keep (the one making the change).

    Raises:
        UserError: Wrong current password or unacceptable new one.
    """
    if not await verify_password(user.password_hash, current_password):
        raise UserError("Kata sandi saat ini salah.")
    problem = password_problem(new_password, username=user.username)
    if problem:
        raise UserError(problem)
    if await verify_password(user.password_hash, new_password):
        raise UserError("Kata sandi baru harus berbeda dari yang lama.")
    user.password_hash = await hash_password(new_password)
    user.must_change_password = False
    await delete_user_sessions(session, user_id=user.id, keep_id_hash=keep_session_hash)
    await audit.record(
        session, actor=user.username, action=audit.PASSWORD_CHANGED, target=_target(user)
    )


# --- sign-in -----------------------------------------------------------------------------------


async def address_failures(session: AsyncSession, client_ip: str, *, since: datetime) -> int:
    """Failed sign-ins from one client address since ``since`` (read from the audit log).

    The audit log is shared by every back-office process, so the count holds however many
    workers serve the logins.
    """
    marker = (audit.format_detail({"ip": client_ip}) or "")[1:-1]  # '"ip": "…"' as stored
    count = await session.scalar(
        select(func.count(AuditLog.id)).where(
            AuditLog.action.in_((audit.LOGIN_FAILED, audit.LOGIN_LOCKED)),
            AuditLog.at >= since,
            AuditLog.detail.contains(marker, autoescape=True),
        )
    )
    return int(count or 0)


async def authenticate(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    settings: BackofficeSettings,
    client_ip: str | None = None,
) -> LoginResult:
    """Check a sign-in attempt, applying the lock-out rule, and audit the result.

    After ``settings.max_failed_logins`` wrong passwords in a row the account is locked for
    ``settings.lockout``; while locked even the right password is refused. A client address
    with ``settings.max_failed_logins_per_address`` failures within ``settings.lockout`` is
    refused for any account. The caller answers a lock exactly like a wrong password.

    Args:
        session: Unit of work (it must commit even when the attempt fails).
        username: Typed username.
        password: Typed password.
        settings: Lock-out thresholds.
        client_ip: Address recorded in the audit detail.

    Returns:
        The outcome, with the user on success.
    """
    name = normalise_username(username)
    now = utcnow()
    detail: dict[str, object] = {"ip": client_ip} if client_ip else {}
    actor = name or "(kosong)"
    if (
        client_ip
        and await address_failures(session, client_ip, since=now - settings.lockout)
        >= settings.max_failed_logins_per_address
    ):
        # Password guessing across many accounts from one address: refuse before any account
        # is touched, at the cost of a real check so the timing tells nothing.
        await verify_password(None, password)
        await audit.record(
            session,
            actor=actor,
            action=audit.LOGIN_FAILED,
            target=None,
            detail={**detail, "reason": "address_locked"},
        )
        return LoginResult(LoginOutcome.LOCKED)
    result = await session.execute(select(User).where(User.username == name).with_for_update())
    user = result.scalar_one_or_none()

    if user is None or not user.active:
        await verify_password(None, password)  # same cost as a real check
        reason = "unknown_user" if user is None else "inactive"
        await audit.record(
            session,
            actor=actor,
            action=audit.LOGIN_FAILED,
            target=None if user is None else _target(user),
            detail={**detail, "reason": reason},
        )
        return LoginResult(LoginOutcome.INVALID)

    if user.locked_until is not None and user.locked_until > now:
        await audit.record(
            session,
            actor=actor,
            action=audit.LOGIN_FAILED,
            target=_target(user),
            detail={**detail, "reason": "locked"},
        )
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)

    if not await verify_password(user.password_hash, password):
        user.failed_attempts += 1
        if user.failed_attempts >= settings.max_failed_logins:
            user.locked_until = now + settings.lockout
            attempts = user.failed_attempts
            user.failed_attempts = 0
            await audit.record(
                session,
                actor=actor,
                action=audit.LOGIN_LOCKED,
                target=_target(user),
                detail={
                    **detail,
                    "attempts": attempts,
                    "locked_until": user.locked_until.isoformat(),
                },
            )
            return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
        await audit.record(
            session,
            actor=actor,
            action=audit.LOGIN_FAILED,
            target=_target(user),
            detail={**detail, "reason": "wrong_password", "attempts": user.failed_attempts},
        )
        return LoginResult(LoginOutcome.INVALID)

    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    await audit.record(
        session, actor=user.username, action=audit.LOGIN, target=_target(user), detail=detail
    )
    return LoginResult(LoginOutcome.OK, user=user)


# --- sessions ----------------------------------------------------------------------------------


def hash_session_token(token: str) -> str:
    """Return the stored form of a session cookie value (SHA-256, hex).

    Args:
        token: The cookie value.

    Returns:
        64 hex characters.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_session(
    session: AsyncSession, *, user: User, settings: BackofficeSettings
) -> tuple[str, BackofficeSession]:
    """Start a session for a user; ended sessions of everyone are swept on the way.

    Args:
        session: Unit of work.
        user: The signed-in user.
        settings: Session lifetime.

    Returns:
        The cookie value (random 256 bits, shown to the browser only) and the stored row.
    """
    now = utcnow()
    await session.execute(
        delete(BackofficeSession).where(
            (BackofficeSession.expires_at <= now)
            | (BackofficeSession.last_seen_at <= now - settings.session_idle_timeout)
        )
    )
    token = secrets.token_urlsafe(32)
    row = BackofficeSession(
        id_hash=hash_session_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + settings.session_lifetime,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    return token, row


async def load_session(
    session: AsyncSession, *, token: str, settings: BackofficeSettings
) -> BackofficeSession | None:
    """Find the live session of a cookie value, with its user loaded.

    A session ends when it expires, when it has been idle for ``settings.session_idle_timeout``,
    or when its user is deactivated. Ended rows are deleted here when the request commits, and
    otherwise by the sweep in :func:`create_session`.

    Args:
        session: Unit of work.
        token: The cookie value.
        settings: Idle timeout.

    Returns:
        The session (``.user`` loaded), or ``None``.
    """
    if not token or len(token) > 128:
        return None
    result = await session.execute(
        select(BackofficeSession)
        .options(joinedload(BackofficeSession.user))
        .where(BackofficeSession.id_hash == hash_session_token(token))
    )
    row = result.scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    if (
        row.expires_at <= now
        or row.last_seen_at + settings.session_idle_timeout <= now
        or not row.user.active
    ):
        await session.execute(
            delete(BackofficeSession).where(BackofficeSession.id_hash == row.id_hash)
        )
        return None
    if now - row.last_seen_at >= _TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


async def delete_session(session: AsyncSession, *, token: str) -> None:
    """End the session of a cookie value (logout); unknown values are ignored."""
    await session.execute(
        delete(BackofficeSession).where(BackofficeSession.id_hash == hash_session_token(token))
    )


async def delete_user_sessions(
    session: AsyncSession, *, user_id: int, keep_id_hash: str | None = None
) -> None:
    """End every session of a user, except optionally one.

    Args:
        session: Unit of work.
        user_id: The user.
        keep_id_hash: ``id_hash`` of a session to keep.
    """
    statement = delete(BackofficeSession).where(BackofficeSession.user_id == user_id)
    if keep_id_hash is not None:
        statement = statement.where(BackofficeSession.id_hash != keep_id_hash)
    await session.execute(statement)
