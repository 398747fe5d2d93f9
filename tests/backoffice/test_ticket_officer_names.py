"""The ticket page names the TRC officers its messages went to, with one narrow query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from backoffice.auth.roles import Role
from backoffice.tickets.views import _officer_names
from lalisa.core.db import get_engine, session_scope
from lalisa.notifications.models import OutboxMessage, RecipientKind
from lalisa.users.models import User
from tests.backoffice.helpers import SignedIn, add_user
from tests.backoffice.test_workflow_trc import OFFICER_PHONE, dispatched_ticket, set_phone


def _message(kind: RecipientKind, ref: str) -> OutboxMessage:
    return OutboxMessage(recipient_kind=kind, recipient_ref=ref)


async def test_officer_names_come_from_one_query_of_ids_and_names(db: str) -> None:
    officers = [await add_user(f"trc{n}", Role.PETUGAS_TRC) for n in range(3)]
    await add_user("lain", Role.PETUGAS_TRC)  # not messaged: not read
    # Every officer got several messages (dispatch, reminders); other refs are skipped.
    messages = [
        _message(RecipientKind.OFFICER, f"user:{officer.id}") for officer in officers * 4
    ] + [
        _message(RecipientKind.CITIZEN, f"user:{officers[0].id}"),
        _message(RecipientKind.OFFICER, "user:abc"),
        _message(RecipientKind.OFFICER, "phone:6281234500001"),
        _message(RecipientKind.OFFICER, "user:999999"),
    ]
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        async with session_scope() as session:
            names = await _officer_names(session, messages)
    finally:
        event.remove(engine, "before_cursor_execute", capture)

    assert names == {f"user:{officer.id}": officer.full_name for officer in officers}
    [query] = statements
    assert "users.full_name" in query
    assert "password_hash" not in query  # only the two columns the page shows


async def test_no_officer_message_needs_no_query(db: str) -> None:
    async with session_scope() as session:
        assert await _officer_names(session, [_message(RecipientKind.CITIZEN, "x")]) == {}


async def test_ticket_page_names_the_officer_a_dispatch_went_to(
    as_role: dict[Role, SignedIn], users: dict[Role, User]
) -> None:
    komandan = users[Role.KOMANDAN_TRC]
    await set_phone(as_role[Role.SUPERADMIN], komandan, OFFICER_PHONE)
    number, _ = await dispatched_ticket(as_role, [komandan])
    page = await as_role[Role.ADMIN].client.get(f"/aduan/{number}")
    assert page.status_code == 200
    assert f"TRC: {komandan.full_name}" in page.text
