"""The superadmin's settings page (``/pengaturan``): operational settings without editing ``.env``.

Every setting of :data:`lalisa.runtime_settings.service.REGISTRY` has a form of its own carrying the
row version it was built from: two superadmins editing the same setting cannot overwrite each
other (the second gets a 409 page that shows what is stored now). Each change and each reset
writes a ``SETTING_CHANGED`` audit entry with the old and the new value; the history of one
setting is read back from the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth.roles import Role
from backoffice.db import DbSession
from backoffice.errors import PageError
from backoffice.permissions import require_roles
from backoffice.templating import NOTICES, local_time, render
from lalisa.core import audit
from lalisa.core.models import AuditLog
from lalisa.core.settings import get_settings
from lalisa.runtime_settings.service import (
    REGISTRY,
    SECTIONS,
    EffectiveSettings,
    SettingConflict,
    SettingDefinition,
    SettingValueError,
    StoredSetting,
    describe_value,
    read_effective_settings,
    reset_setting,
    save_setting,
    stored_settings,
)
from lalisa.users.models import User

router = APIRouter(prefix="/pengaturan", tags=["settings"])

Superadmin = Annotated[User, Depends(require_roles(Role.SUPERADMIN))]
FormValue = Annotated[str, Form(max_length=20_000)]
FormVersion = Annotated[str, Form(max_length=20)]

HISTORY_LIMIT: Final = 100

SETTINGS_NOTICES: Final = {
    "setting_saved": (
        "Pengaturan disimpan. Back office, asisten La-Lisa dan pengirim notifikasi memakainya "
        "paling lambat {seconds} detik lagi, tanpa restart."
    ),
    "setting_reset": "Pengaturan dikembalikan ke nilai bawaan.",
}


def _notice(text: str) -> Callable[[], str]:
    return lambda: text.format(seconds=f"{get_settings().runtime.cache_seconds:g}")


NOTICES.update({key: _notice(text) for key, text in SETTINGS_NOTICES.items()})


@dataclass(frozen=True)
class SettingRow:
    """One setting as the page shows it.

    Attributes:
        entry: The definition.
        slug: Key usable in element ids.
        form_value: Value for the input (the effective value, or what was just typed).
        current: Effective value, for people.
        default: Default value, for people.
        overridden: A stored value replaces the default.
        stored: The stored row, if any (who changed it and when).
        version: Version the form carries.
        error: Error of the last submission of this setting.
        conflict: The submission was refused because of a concurrent change.
        submitted: What was typed in a refused submission.
    """

    entry: SettingDefinition
    slug: str
    form_value: str
    current: str
    default: str
    overridden: bool
    stored: StoredSetting | None
    version: int
    error: str | None = None
    conflict: bool = False
    submitted: str | None = None


def slug(key: str) -> str:
    """Turn a setting key into an element id part (``office.hours`` → ``office-hours``)."""
    return key.replace(".", "-").replace("_", "-").lower()


def _rows(
    effective: EffectiveSettings,
    stored: dict[str, StoredSetting],
    *,
    failed_key: str | None = None,
    error: str | None = None,
    conflict: bool = False,
    submitted: str | None = None,
) -> list[tuple[str, str, str, list[SettingRow]]]:
    sections: list[tuple[str, str, str, list[SettingRow]]] = []
    for section_id, title, description in SECTIONS:
        rows = []
        for key, entry in REGISTRY.items():
            if entry.section != section_id:
                continue
            value = effective.value(key)
            failed = key == failed_key
            row = stored.get(key)
            rows.append(
                SettingRow(
                    entry=entry,
                    slug=slug(key),
                    form_value=(
                        submitted
                        if failed and not conflict and submitted is not None
                        else entry.to_form(value)
                    ),
                    current=describe_value(key, value),
                    default=describe_value(key, entry.default()),
                    overridden=effective.is_overridden(key),
                    stored=row,
                    version=row.version if row is not None else 0,
                    error=error if failed else None,
                    conflict=conflict and failed,
                    submitted=submitted if failed and conflict else None,
                )
            )
        sections.append((section_id, title, description, rows))
    return sections


async def _page(
    request: Request,
    db: AsyncSession,
    *,
    status_code: int = 200,
    failed_key: str | None = None,
    error: str | None = None,
    conflict: bool = False,
    submitted: str | None = None,
) -> HTMLResponse:
    stored = await stored_settings(db)
    # Fresh from the database, not the process cache: the page shows what is stored.
    effective = await read_effective_settings(db)
    return render(
        request,
        "settings/settings.html",
        {
            "sections": _rows(
                effective,
                stored,
                failed_key=failed_key,
                error=error,
                conflict=conflict,
                submitted=submitted,
            ),
            "error": error,
            "failed_slug": slug(failed_key) if failed_key else None,
            "cache_seconds": f"{get_settings().runtime.cache_seconds:g}",
        },
        status_code=status_code,
    )


def _definition_or_404(key: str) -> SettingDefinition:
    entry = REGISTRY.get(key)
    if entry is None:
        raise PageError(404, "Pengaturan tidak ditemukan.")
    return entry


def _version(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise PageError(400, "Formulir tidak lengkap; muat ulang halaman lalu coba lagi.") from exc
    if value < 0:
        raise PageError(400, "Formulir tidak lengkap; muat ulang halaman lalu coba lagi.")
    return value


def _conflict_message(error: SettingConflict) -> str:
    current = error.current
    if current is None:
        who = "superadmin lain"
        when = "baru saja"
    else:
        who = current.updated_by
        when = local_time(current.updated_at)
    return (
        f"Pengaturan ini sudah diubah oleh {who} ({when}) setelah halaman Anda dibuka. "
        "Perubahan Anda TIDAK disimpan. Periksa nilai terbaru di bawah, lalu ubah lagi bila "
        "perlu."
    )


def _done(key: str, notice: str) -> RedirectResponse:
    query = urlencode({"notice": notice})
    return RedirectResponse(f"/pengaturan?{query}#setting-{slug(key)}", status_code=303)


async def _change(
    request: Request,
    db: AsyncSession,
    key: str,
    change: Callable[[], Awaitable[object]],
    notice: str,
    *,
    submitted: str | None = None,
) -> Response:
    """Run a save or reset in a savepoint; show the page with the reason when it is refused."""
    try:
        async with db.begin_nested():
            await change()
    except SettingValueError as exc:
        return await _page(
            request, db, status_code=400, failed_key=key, error=str(exc), submitted=submitted
        )
    except SettingConflict as exc:
        return await _page(
            request,
            db,
            status_code=409,
            failed_key=key,
            error=_conflict_message(exc),
            conflict=True,
            submitted=submitted,
        )
    return _done(key, notice)


@router.get("", response_class=HTMLResponse)
async def settings_page(request: Request, db: DbSession, _user: Superadmin) -> HTMLResponse:
    """Every editable setting, grouped in sections, with value, default and last change."""
    return await _page(request, db)


@router.post("/{key}", response_class=HTMLResponse)
async def save(
    request: Request,
    db: DbSession,
    actor: Superadmin,
    key: str,
    value: FormValue = "",
    version: FormVersion = "",
) -> Response:
    """Store a new value (validated, version-checked, audited)."""
    _definition_or_404(key)
    expected = _version(version)
    return await _change(
        request,
        db,
        key,
        lambda: save_setting(db, key, value, actor=actor.username, expected_version=expected),
        "setting_saved",
        submitted=value,
    )


@router.post("/{key}/bawaan", response_class=HTMLResponse)
async def reset(
    request: Request,
    db: DbSession,
    actor: Superadmin,
    key: str,
    version: FormVersion = "",
) -> Response:
    """Go back to the default value ("Kembalikan ke bawaan")."""
    _definition_or_404(key)
    expected = _version(version)
    return await _change(
        request,
        db,
        key,
        lambda: reset_setting(db, key, actor=actor.username, expected_version=expected),
        "setting_reset",
    )


def _detail(entry: AuditLog) -> dict[str, Any]:
    try:
        detail = json.loads(entry.detail or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


@router.get("/{key}/riwayat", response_class=HTMLResponse)
async def history(request: Request, db: DbSession, _user: Superadmin, key: str) -> HTMLResponse:
    """The changes of one setting, newest first, from the audit log."""
    entry = _definition_or_404(key)
    rows = (
        await db.execute(
            select(AuditLog)
            .where(AuditLog.action == audit.SETTING_CHANGED, AuditLog.target == f"setting:{key}")
            .order_by(AuditLog.id.desc())
            .limit(HISTORY_LIMIT)
        )
    ).scalars()
    changes = []
    for log in rows:
        detail = _detail(log)
        changes.append(
            {
                "at": log.at,
                "actor": log.actor,
                "old": describe_value(key, detail.get("old")),
                "new": describe_value(key, detail.get("new")),
                "reset": bool(detail.get("reset_to_default")),
            }
        )
    return render(
        request,
        "settings/history.html",
        {"entry": entry, "slug": slug(key), "changes": changes, "limit": HISTORY_LIMIT},
    )
