"""No citizen in plain text: a full complaint-to-closure run, then every table and log scanned.

The citizen files a complaint over signed WhatsApp webhooks through the sandbox (typing their
name), the officers verify, dispatch, handle and close it through the service functions, and
the citizen receives the outcome. Then every text value of every table of the application
database and of Rasa's tracker database, and the log of every La-Lisa process, is searched for
the citizen's number (``62…``, ``0…``, ``+62…``) and for their names (the one typed, the
WhatsApp profile name). Only the encrypted identity columns listed in :data:`ENCRYPTED` are
skipped (they must hold Fernet tokens).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lalisa_common.at_rest import TRACKER_EVENTS, at_rest_cipher
from scripts.stack import Stack
from tests.e2e.phone import Phone

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "6281377712345"
SPELLINGS = (NUMBER, "0" + NUMBER[2:], "+" + NUMBER)
TYPED_NAME = "Nurhalimah Sapitri"
PROFILE_NAME = "Halimatussadiah Balangan"
NAMES = (TYPED_NAME, "Nurhalimah", "Sapitri", PROFILE_NAME, "Halimatussadiah")
TICKET_RE = re.compile(r"LLS-\d{4}-\d{6}")

ENCRYPTED: frozenset[tuple[str, str]] = frozenset(
    {
        ("reporters", "phone_encrypted"),
        ("reporters", "name_encrypted"),
        ("outbox_messages", "recipient_phone_encrypted"),
        ("review_conversations", "sender_encrypted"),
        ("handoff_requests", "sender_encrypted"),
        ("takeovers", "sender_encrypted"),
        ("officer_contacts", "phone_encrypted"),
        ("citizen_contacts", "phone_encrypted"),
    }
)
"""(table, column) holding the identity as Fernet tokens: not scanned, checked to be tokens."""

SENDER_ID_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("events", "sender_id"),
        ("whatsapp_inbound_messages", "sender_id"),
        ("whatsapp_outbound_messages", "recipient"),
        ("whatsapp_menus", "recipient"),
    }
)
"""Where the channel and Rasa know a citizen by sender id: the citizen's key, never the number
(``lalisa_common.identity``)."""

NOT_LA_LISA_LOGS = frozenset({"sandbox.log"})
"""The sandbox stands in for Meta: it receives the number and the texts by design."""


@dataclass(frozen=True)
class Found:
    """One place where a searched value appears."""

    where: str
    needle: str


@dataclass(frozen=True)
class Scan:
    """What the run left behind: every text cell (by table and column) and every log."""

    cells: list[tuple[str, str, str]]  # (database:table, column, value)
    logs: dict[str, str]

    def find(self, needles: tuple[str, ...], *, sender_ids: bool) -> list[Found]:
        """Cells (of the sender-id columns, or of all the others) and logs holding a needle."""
        found: list[Found] = []
        for table, column, value in self.cells:
            is_sender = (table.split(":", 1)[1], column) in SENDER_ID_COLUMNS
            if is_sender != sender_ids:
                continue
            lowered = value.lower()
            found += [Found(f"{table}.{column}", n) for n in needles if n.lower() in lowered]
        if not sender_ids:
            for name, text in self.logs.items():
                lowered = text.lower()
                found += [Found(name, n) for n in needles if n.lower() in lowered]
        return found


def _cells(database: Path, label: str) -> Iterator[tuple[str, str, str]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [description[0] for description in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if value is None or isinstance(value, int | float):
                        continue
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                    if (table, column) in ENCRYPTED:
                        assert str(text).startswith("gAAAAA"), (table, column, text)
                        continue
                    yield f"{label}:{table}", column, str(text)


@pytest.fixture(scope="module")
def closed_complaint(production_stack: Stack) -> Scan:
    """The run: complaint with the name typed, closure by the officers, outcome received."""
    phone = Phone(production_stack.sandbox_url, NUMBER, name=PROFILE_NAME)
    phone.text("halo")
    phone.wait_for("Lapor pelanggaran")
    phone.tap("Lapor pelanggaran")
    phone.wait_for("Apa jenis pelanggaran")
    phone.tap("PKL")
    phone.wait_for("Ceritakan apa yang terjadi")
    phone.text("pedagang jualan di trotoar depan pasar paringin, pejalan kaki turun ke jalan")
    phone.wait_for("Di mana lokasinya?")
    phone.location(-2.324289, 115.460773)
    phone.wait_for("Kapan kejadiannya?")
    phone.text("tadi pagi jam 8")
    phone.wait_for("foto atau video")
    phone.text("lewati")
    phone.wait_for("Identitas Anda dirahasiakan")
    phone.text(TYPED_NAME)
    summary = phone.wait_for("Apakah laporan ini sudah benar")
    assert f"Nama pelapor: {TYPED_NAME}" in summary
    phone.tap("Kirim laporan")
    number = TICKET_RE.search(phone.wait_for("nomor tiket"))
    assert number is not None

    done = subprocess.run(
        [sys.executable, "-m", "tests.security.closure_steps", number.group(0)],
        cwd=ROOT,
        env=production_stack.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    outcome = phone.wait_for("survei kepuasan", timeout=90)
    assert "ditertibkan" in outcome or "Selesai" in outcome, outcome
    phone.tap("Tidak mau")
    phone.wait_for("Terima kasih")

    work = production_stack.log_dir
    cells = [*_cells(work / "lalisa.db", "app"), *_cells(work / "tracker.db", "tracker")]
    logs = {
        path.name: path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(work.glob("*.log"))
        if path.name not in NOT_LA_LISA_LOGS
    }
    # The scan is not vacuous: the name is in the conversation Rasa stored (encrypted).
    cipher = at_rest_cipher(production_stack.env["LALISA_IDENTITY_KEY"], TRACKER_EVENTS)
    stored = [cipher.decrypt(v) for t, c, v in cells if (t, c) == ("tracker:events", "data")]
    assert any(TYPED_NAME in data for data in stored), "the typed name never reached the tracker"
    assert {"actions.log", "receiver.log", "rasa-worker-1.log", "worker.log"} <= logs.keys()
    return Scan(cells, logs)


def test_no_name_in_any_table_or_log(closed_complaint: Scan) -> None:
    assert closed_complaint.find(NAMES, sender_ids=False) == []
    assert closed_complaint.find(NAMES, sender_ids=True) == []


def test_no_phone_number_outside_the_sender_ids(closed_complaint: Scan) -> None:
    assert closed_complaint.find(SPELLINGS, sender_ids=False) == []


def test_no_phone_number_as_sender_id(closed_complaint: Scan) -> None:
    assert closed_complaint.find(SPELLINGS, sender_ids=True) == []
