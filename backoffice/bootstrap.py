"""Create the first superadmin when the back office has no user yet (used by ``make run``).

``python -m backoffice.bootstrap``: if the ``users`` table is empty, creates the user
``superadmin`` with a generated password, writes it to a file readable by this system user
only (mode 0600, under ``LALISA_VAR_DIR``) and prints the file's path, never the password (the
output lands in the journal); otherwise does nothing. There is no default password anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth.roles import Role
from backoffice.auth.service import count_users, create_user
from backoffice.cli import (
    DatabaseNotReady,
    report_not_ready,
    run_unit_of_work,
    write_password_file,
)

BOOTSTRAP_USERNAME = "superadmin"


async def bootstrap_superadmin(session: AsyncSession) -> str | None:
    """Create the first superadmin if there is no user at all.

    Args:
        session: Unit of work.

    Returns:
        The generated password, or ``None`` when users already exist.
    """
    if await count_users(session) > 0:
        return None
    _, password = await create_user(
        session,
        username=BOOTSTRAP_USERNAME,
        full_name="Superadmin",
        role=Role.SUPERADMIN,
        must_change_password=True,
        actor=None,
        via="bootstrap",
    )
    return password


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point.

    Args:
        argv: Arguments without the program name.

    Returns:
        Exit status: 0 (created or nothing to do), 2 (database not migrated).
    """
    argparse.ArgumentParser(prog="python -m backoffice.bootstrap", description=__doc__).parse_args(
        argv
    )
    try:
        password = asyncio.run(run_unit_of_work(bootstrap_superadmin))
    except DatabaseNotReady as exc:
        return report_not_ready(exc)
    except IntegrityError:
        password = None  # another process bootstrapped at the same moment
    if password is None:
        print("Back office: pengguna sudah ada, tidak ada akun yang dibuat.")
        return 0
    write_password_file(
        BOOTSTRAP_USERNAME, password, heading="Akun superadmin pertama back office dibuat."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
