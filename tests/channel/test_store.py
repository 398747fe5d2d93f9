"""Store tests: the migrated schema matches tables.py, statuses never downgrade, shared menus."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
import pytest_asyncio
import sqlalchemy as sa

from lalisa_common.database import to_async_url as async_database_url
from lalisa_rasa.channels.store import WhatsAppStore, utcnow
from lalisa_rasa.channels.tables import inbound_messages, metadata
from lalisa_rasa.channels.whatsapp import MenuMemory
from tests.common.payloads import CITIZEN


@pytest_asyncio.fixture
async def store(db_url: str) -> AsyncIterator[WhatsAppStore]:
    instance = WhatsAppStore(db_url)
    yield instance
    await instance.close()


def test_migrated_schema_matches_tables_module(db_url: str) -> None:
    path = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        for table in metadata.sorted_tables:
            columns = {row[1]: row for row in conn.execute(f"pragma table_info({table.name})")}
            assert set(columns) == {c.name for c in table.columns}, table.name
            for column in table.columns:
                assert bool(columns[column.name][3]) == (
                    not column.nullable or column.primary_key
                ), column.name
        unique_columns = [
            [info[2] for info in conn.execute(f"pragma index_info('{row[1]}')")]
            for row in conn.execute("pragma index_list(whatsapp_outbound_messages)")
            if row[2]
        ]
        assert ["wamid"] in unique_columns


def test_async_url_mapping() -> None:
    assert async_database_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert async_database_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert async_database_url("postgresql+asyncpg://h/db") == "postgresql+asyncpg://h/db"


async def test_inbound_claim_is_idempotent(store: WhatsAppStore) -> None:
    assert await store.log_inbound("wamid.1", CITIZEN, "text", int(time.time()), {"a": 1})
    assert not await store.log_inbound("wamid.1", CITIZEN, "text", int(time.time()), {"a": 1})
    results = await asyncio.gather(
        *(store.log_inbound("wamid.2", CITIZEN, "text", None, None) for _ in range(5))
    )
    assert sorted(results) == [False, False, False, False, True]
    await store.mark_inbound("wamid.1", "processed")
    assert await store.inbound_status("wamid.1") == "processed"
    assert await store.inbound_status("wamid.nope") is None


async def test_prune_keeps_at_least_the_dedupe_window(store: WhatsAppStore) -> None:
    await store.log_inbound("wamid.old", CITIZEN, "text", None, None)
    await store.log_inbound("wamid.new", CITIZEN, "text", None, None)
    async with store.engine.begin() as conn:
        await conn.execute(
            inbound_messages.update()
            .where(inbound_messages.c.wamid == "wamid.old")
            .values(received_at=utcnow() - timedelta(days=40))
        )
    assert await store.prune_inbound(timedelta(seconds=1)) == 1  # 1 s is raised to 8 days
    assert await store.inbound_status("wamid.new") == "received"


async def test_prune_follows_the_inbound_retention_setting(
    store: WhatsAppStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LALISA_INBOUND_RETENTION_DAYS", "10")
    for wamid, age in (("wamid.11d", 11), ("wamid.9d", 9)):
        await store.log_inbound(wamid, CITIZEN, "text", None, None)
        async with store.engine.begin() as conn:
            await conn.execute(
                inbound_messages.update()
                .where(inbound_messages.c.wamid == wamid)
                .values(received_at=utcnow() - timedelta(days=age))
            )
    assert await store.prune_inbound() == 1
    assert await store.inbound_status("wamid.9d") == "received"


async def test_status_is_monotonic_and_failed_keeps_its_error(store: WhatsAppStore) -> None:
    await store.record_outbound(
        recipient=CITIZEN,
        kind="text",
        summary="[text]",
        wamid="wamid.o1",
        status="accepted",
        attempts=1,
    )
    assert await store.apply_status("wamid.o1", "read")
    assert not await store.apply_status("wamid.o1", "delivered")
    assert not await store.apply_status("wamid.o1", "failed", error_code=131026)
    await store.record_outbound(
        recipient=CITIZEN,
        kind="text",
        summary="[text]",
        wamid="wamid.o2",
        status="accepted",
        attempts=1,
    )
    assert await store.apply_status("wamid.o2", "sent")
    assert await store.apply_status(
        "wamid.o2", "failed", error_code=131026, error_title="undeliverable"
    )
    rows = {r["wamid"]: r for r in await store.outbound_rows()}
    assert rows["wamid.o1"]["status"] == "read" and rows["wamid.o1"]["error_code"] is None
    assert rows["wamid.o2"]["status"] == "failed" and rows["wamid.o2"]["error_code"] == 131026
    assert not await store.apply_status("wamid.o2", "deleted")


async def test_status_before_record_is_merged(store: WhatsAppStore) -> None:
    assert await store.apply_status("wamid.early", "delivered")
    [early] = await store.outbound_rows()
    assert early["recipient"] == "unknown"  # a status webhook never stores the citizen's number
    await store.record_outbound(
        recipient=CITIZEN,
        kind="buttons",
        summary="[interactive:button]",
        wamid="wamid.early",
        status="accepted",
        attempts=2,
    )
    [row] = await store.outbound_rows()
    assert row["status"] == "delivered" and row["kind"] == "buttons" and row["attempts"] == 2


async def test_a_reply_whose_status_came_first_keeps_its_reply_key(store: WhatsAppStore) -> None:
    # The receiver applied the "delivered" webhook before the worker recorded the send (a fast
    # receiver makes this common). The row must still carry the reply key: a turn run again
    # after a re-claim skips exactly the replies whose key is recorded.
    assert await store.apply_status("wamid.fast", "delivered")
    await store.record_outbound(
        recipient=CITIZEN,
        kind="text",
        summary="Halo",
        wamid="wamid.fast",
        status="accepted",
        attempts=1,
        reply_to="wamid.IN-7",
        reply_index=0,
    )
    assert await store.reply_sent("wamid.IN-7", 0)
    [row] = await store.outbound_rows(CITIZEN)
    assert (row["reply_to"], row["reply_index"], row["status"]) == ("wamid.IN-7", 0, "delivered")


async def test_a_reply_whose_status_row_won_the_insert_race_still_gets_its_record(
    store: WhatsAppStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL the receiver can commit the status webhook's row between the worker's
    # look-up and its insert: the insert then hits the unique wamid. The record must land on
    # that row (reply key, attempts) instead of being lost with an IntegrityError.
    from sqlalchemy.exc import IntegrityError

    record = store._record_outbound
    raced = []

    async def racing(*args: object, **kwargs: object) -> None:
        if not raced:
            raced.append(True)
            await store.apply_status("wamid.race", "sent", callback_data="reply:0:wamid.IN-8")
            raise IntegrityError("INSERT", {}, Exception("uq_whatsapp_outbound_messages_wamid"))
        await record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_record_outbound", racing)
    await store.record_outbound(
        recipient=CITIZEN,
        kind="text",
        summary="Halo",
        wamid="wamid.race",
        status="accepted",
        attempts=2,
        reply_to="wamid.IN-8",
        reply_index=0,
    )
    [row] = await store.outbound_rows(CITIZEN)
    assert (row["reply_to"], row["reply_index"], row["attempts"], row["status"]) == (
        "wamid.IN-8",
        0,
        2,
        "sent",
    )


async def test_a_reply_s_first_record_is_one_insert_and_a_retry_overwrites_its_row(
    any_db_url: str,
) -> None:
    # The usual record (first attempt, no status webhook yet) is one statement; a later attempt
    # of the same reply (its key already has a row) falls back to the update by key.
    store = WhatsAppStore(any_db_url)
    statements: list[str] = []
    try:
        await store.check_tables()
        sa.event.listen(
            store.engine.sync_engine,
            "before_cursor_execute",
            lambda _conn, _cursor, sql, *_: statements.append(sql.split()[0].upper()),
        )
        reply = {"recipient": CITIZEN, "kind": "text", "summary": "[text]"}
        await store.record_outbound(
            **reply,
            wamid=None,
            status="failed",
            attempts=4,
            error_code=131000,
            reply_to="wamid.IN-9",
            reply_index=0,
        )
        assert [s for s in statements if s not in ("BEGIN", "COMMIT")] == ["INSERT"]
        assert not await store.reply_sent("wamid.IN-9", 0)
        await store.record_outbound(
            **reply,
            wamid="wamid.out-9",
            status="accepted",
            attempts=1,
            reply_to="wamid.IN-9",
            reply_index=0,
        )
        assert await store.reply_sent("wamid.IN-9", 0)
        [row] = await store.outbound_rows(CITIZEN)
        assert (row["wamid"], row["status"], row["attempts"], row["error_code"]) == (
            "wamid.out-9",
            "accepted",
            1,
            None,
        )
    finally:
        await store.close()


async def test_claims_look_for_run_out_leases_only_now_and_then(any_db_url: str) -> None:
    # The look for a lease that ran out is a statement per claim that almost never finds one;
    # it runs at most every tenth of the lease, and a run-out lease is still taken over.
    from lalisa_common.whatsapp.queue import OrderKeys, enqueue_values
    from lalisa_rasa.channels.store import expired_check_interval

    store = WhatsAppStore(any_db_url)
    lease = timedelta(seconds=1)
    keys = OrderKeys()
    updates: list[str] = []
    try:
        async with store.engine.begin() as conn:
            await conn.execute(
                inbound_messages.insert(),
                [
                    enqueue_values(
                        wamid=f"wamid.L{i}",
                        sender_id=f"citizen-{i}",
                        message_type="text",
                        wa_timestamp=None,
                        payload={"message": {}},
                        order_key=keys.next(None),
                        cipher=store.cipher,
                    )
                    for i in range(3)
                ],
            )
        sa.event.listen(
            store.engine.sync_engine,
            "before_cursor_execute",
            lambda _conn, _cursor, sql, *_: updates.append(sql) if "UPDATE" in sql else None,
        )
        first = await store.claim("w1", lease)  # looks: nothing ran out; then the oldest
        assert first is not None and first.wamid == "wamid.L0" and len(updates) == 2
        second = await store.claim("w1", lease)  # no look: one statement
        assert second is not None and second.wamid == "wamid.L1" and len(updates) == 3
        # w1 stops: the lease of L0 runs out and the next look hands it over first.
        await asyncio.sleep(lease.total_seconds() + expired_check_interval(lease))
        again = await store.claim("w2", lease)
        assert again is not None and (again.wamid, again.attempts) == ("wamid.L0", 2)
        assert not await store.finish(first, "processed")  # w1's lease is gone
    finally:
        await store.close()


async def test_a_citizen_s_number_is_read_once_for_several_turns(
    any_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each turn's first reply read the contact row (~1.1 ms on PostgreSQL); the encrypted
    # token is kept a few minutes, an unknown key is never kept.
    from lalisa_common.identity import SenderKeys
    from lalisa_rasa.channels import store as store_module
    from tests.channel.conftest import IDENTITY_KEY, key_of

    store = WhatsAppStore(any_db_url)
    keys = SenderKeys(IDENTITY_KEY)
    selects: list[str] = []
    try:
        key = await store.remember_contact(keys, CITIZEN)
        sa.event.listen(
            store.engine.sync_engine,
            "before_cursor_execute",
            lambda _conn, _cursor, sql, *_: selects.append(sql) if "SELECT" in sql else None,
        )
        assert await store.address_of(keys, key) == CITIZEN
        assert await store.address_of(keys, key) == CITIZEN
        assert len(selects) == 1
        unknown = key_of("6289900000000")
        assert await store.address_of(keys, unknown) is None
        assert await store.address_of(keys, unknown) is None
        assert len(selects) == 3
        # Past its time the token is read again.
        monkeypatch.setattr(store_module, "CONTACT_TOKEN_SECONDS", 0.0)
        store._contact_tokens.clear()
        assert await store.address_of(keys, key) == CITIZEN
        assert await store.address_of(keys, key) == CITIZEN
        assert len(selects) == 5
    finally:
        await store.close()


# ---------------------------------------------------------------------- Redis


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


async def test_menus_in_redis_are_shared_by_workers_and_expire(redis_url: str) -> None:
    from redis import asyncio as redis_asyncio

    first_client = redis_asyncio.from_url(redis_url)
    second_client = redis_asyncio.from_url(redis_url)
    try:
        sent_by = MenuMemory(redis=first_client, prefix="test:menu:")
        answered_by = MenuMemory(redis=second_client, prefix="test:menu:")
        await sent_by.remember(CITIZEN, ["/a", "/b", "/c"])
        assert 0 < await first_client.ttl("test:menu:" + CITIZEN) <= 30 * 60
        assert await answered_by.resolve(CITIZEN, "hello") is None  # not an answer: kept
        assert await answered_by.resolve(CITIZEN, "2.") == "/b"
        assert await sent_by.resolve(CITIZEN, "2") is None  # consumed
    finally:
        await first_client.close()
        await second_client.close()


async def test_menus_in_the_database_are_shared_by_workers_and_expire(db_url: str) -> None:
    first, second = WhatsAppStore(db_url), WhatsAppStore(db_url)
    try:
        await MenuMemory(first).remember(CITIZEN, ["/a", "/b"])
        assert await MenuMemory(second).resolve(CITIZEN, "1") == "/a"
        assert await MenuMemory(first).resolve(CITIZEN, "1") is None
        await MenuMemory(first, ttl_seconds=-1).remember(CITIZEN, ["/a"])
        assert await MenuMemory(second).resolve(CITIZEN, "1") is None  # expired
    finally:
        await first.close()
        await second.close()


async def test_lease_changes_leave_sqlite_unlocked_between_statements(
    store: WhatsAppStore, db_url: str
) -> None:
    # The receiver commits into the same file. A worker statement that kept SQLite's write
    # lock until a COMMIT one event-loop trip later made the receiver wait as long as the
    # worker's loop was busy (NLU): 100 ms and more added to an acknowledgement.
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock")
    import sqlalchemy as sa

    await store.log_inbound("wamid.lock", CITIZEN, "text", int(time.time()), {"a": 1})
    outsider = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    blocked: list[str] = []

    def try_to_write(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        # Runs right after each statement of the store, before control returns to the caller.
        try:
            outsider.execute("BEGIN IMMEDIATE")
            outsider.execute("ROLLBACK")
        except sqlite3.OperationalError:
            blocked.append(statement.split()[0])

    sa.event.listen(store.engine.sync_engine, "after_cursor_execute", try_to_write)
    try:
        claimed = await store.claim("w1", timedelta(seconds=60))
        assert claimed is not None and claimed.wamid == "wamid.lock"
        assert await store.extend(claimed, timedelta(seconds=60))
        assert await store.finish(claimed, "processed")
    finally:
        sa.event.remove(store.engine.sync_engine, "after_cursor_execute", try_to_write)
        outsider.close()
    assert blocked == []
