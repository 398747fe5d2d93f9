"""Helpers shared by the command-line tools (bootstrap, create_superadmin)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lalisa.core.db import create_engine_for_url
from lalisa.core.settings import get_settings
from lalisa_common.files import write_atomically

T = TypeVar("T")


class DatabaseNotReady(RuntimeError):
    """Raised when the back-office tables are missing (migrations not run)."""


async def run_unit_of_work(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one transaction on a dedicated engine (created and disposed here).

    A tool gets its own engine, not the process-wide one, so it never shares connections
    with an event loop that is gone.

    Args:
        work: Coroutine function receiving the session; commits when it returns.

    Returns:
        What ``work`` returned.

    Raises:
        DatabaseNotReady: The schema is missing or the database is unreachable.
    """
    engine = create_engine_for_url(get_settings().database.url, null_pool=True)
    try:
        maker = async_sessionmaker(engine, expire_on_commit=False)
        async with maker() as session, session.begin():
            return await work(session)
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseNotReady(str(exc.orig or exc)) from exc
    finally:
        await engine.dispose()


def print_password_once(username: str, password: str, *, heading: str) -> None:
    """Print a generated password with the warning that it is shown only once.

    Args:
        username: The account.
        password: The generated password.
        heading: First line (what happened).
    """
    print(heading)
    print(f"  Nama pengguna : {username}")
    print(f"  Kata sandi    : {password}")
    print(
        "Kata sandi ini hanya ditampilkan sekali dan tidak disimpan dalam bentuk terbaca. "
        "Catat sekarang; Anda akan diminta menggantinya saat pertama kali masuk."
    )
    sys.stdout.flush()


def write_password_file(username: str, password: str, *, heading: str) -> Path:
    """Write a generated password to a file only this system user can read, print its path.

    ``make run`` and systemd keep what a process prints (terminal scroll-back, the journal,
    which other administrators read); the password therefore never goes to the output.

    Args:
        username: The account.
        password: The generated password.
        heading: First line printed (what happened).

    Returns:
        The file (mode 0600, under ``LALISA_VAR_DIR``).
    """
    path = get_settings().storage.var_dir / f"kata-sandi-awal-{username}.txt"
    write_atomically(  # mkstemp: mode 0600 from the start
        path,
        f"Nama pengguna: {username}\nKata sandi: {password}\n"
        "Ganti saat pertama kali masuk, lalu hapus berkas ini.\n",
    )
    print(heading)
    print(f"  Nama pengguna : {username}")
    print(f"  Kata sandi    : ada di berkas {path} (hanya bisa dibaca pengguna sistem ini)")
    print(
        "Baca berkas itu, masuk, ganti kata sandi, lalu hapus berkasnya. "
        "Kata sandi tidak ditampilkan di layar atau log."
    )
    sys.stdout.flush()
    return path


def report_not_ready(exc: DatabaseNotReady) -> int:
    """Explain a missing schema on stderr and return the exit status.

    Args:
        exc: The error.

    Returns:
        Exit status 2.
    """
    print(
        f"Basis data belum siap ({exc}).\nJalankan dulu: python -m lalisa.migrate",
        file=sys.stderr,
    )
    return 2
