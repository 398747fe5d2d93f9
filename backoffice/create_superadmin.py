"""Create a superadmin: ``python -m backoffice.create_superadmin USERNAME [--full-name NAME]``.

Prints the generated password once. With ``--reset-password`` an existing account (any role)
gets a new generated password instead and is unlocked and reactivated: the recovery path when
no superadmin can sign in any more.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth.roles import Role
from backoffice.auth.service import (
    UserError,
    create_user,
    get_user_by_username,
    reset_password,
)
from backoffice.cli import (
    DatabaseNotReady,
    print_password_once,
    report_not_ready,
    run_unit_of_work,
)
from lalisa.core import audit


class _Exists(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point.

    Args:
        argv: Arguments without the program name.

    Returns:
        Exit status: 0 done, 1 refused (invalid name, user exists), 2 database not migrated.
    """
    parser = argparse.ArgumentParser(
        prog="python -m backoffice.create_superadmin", description=__doc__
    )
    parser.add_argument("username")
    parser.add_argument("--full-name", default="Superadmin", help="nama lengkap")
    parser.add_argument(
        "--reset-password",
        action="store_true",
        help="beri kata sandi baru kepada akun yang sudah ada",
    )
    args = parser.parse_args(argv)

    async def work(session: AsyncSession) -> tuple[str, bool]:
        existing = await get_user_by_username(session, username=args.username)
        if existing is not None:
            if not args.reset_password:
                raise _Exists
            if not existing.active:
                existing.active = True
                await audit.record(
                    session,
                    actor=audit.SYSTEM_ACTOR,
                    action=audit.USER_ACTIVATED,
                    target=f"user:{existing.username}",
                )
            return await reset_password(session, user=existing, actor=None), False
        _, password = await create_user(
            session,
            username=args.username,
            full_name=args.full_name,
            role=Role.SUPERADMIN,
            must_change_password=True,
            actor=None,
            via="create_superadmin",
        )
        assert password is not None  # generated, since none was given
        return password, True

    try:
        password, created = asyncio.run(run_unit_of_work(work))
    except DatabaseNotReady as exc:
        return report_not_ready(exc)
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (_Exists, IntegrityError):
        print(
            f"Pengguna {args.username} sudah ada. Tambahkan --reset-password untuk memberinya "
            "kata sandi baru.",
            file=sys.stderr,
        )
        return 1
    username = args.username.strip().lower()
    heading = "Akun superadmin dibuat." if created else f"Kata sandi baru untuk {username} dibuat."
    print_password_once(username, password, heading=heading)
    return 0


if __name__ == "__main__":
    sys.exit(main())
