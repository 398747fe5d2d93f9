"""A citizen completes a complaint over HTTP against the real servers.

Every reply the citizen sees is asserted, then the ticket is looked up in the
database: number format, location resolved from the pin, identity encrypted.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from lalisa.db import to_async_url
from lalisa.office_hours import is_office_open

from .conftest import Stack

TICKET_RE = re.compile(r"LLS-\d{4}-\d{6}")
# A pin inside Kelurahan Paringin Kota (interior point of the desa polygon).
PIN_PARINGIN = {"latitude": -2.324289, "longitude": 115.460773}
# Banjarmasin: outside Balangan.
PIN_BANJARMASIN = {"latitude": -3.3194, "longitude": 114.5908}


def texts(replies: list[dict[str, Any]]) -> str:
    """All reply texts of one turn, joined, for substring assertions."""
    return "\n".join(str(reply.get("text", "")) for reply in replies)


def buttons(replies: list[dict[str, Any]]) -> list[str]:
    """Button titles offered in one turn."""
    return [b["title"] for reply in replies for b in reply.get("buttons") or []]


def location_payload(pin: dict[str, float]) -> str:
    """The message the WhatsApp channel sends for a location pin."""
    return "/share_location" + json.dumps(pin)


async def _fetch(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = create_async_engine(to_async_url(database_url))
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(sql), params)
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


def fetch(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Runs a read query against the stack's database."""
    return asyncio.run(_fetch(database_url, sql, **params))


def test_complaint_with_pin_is_ticketed(stack: Stack) -> None:
    """Greeting, complaint with a refused and an accepted pin, summary, ticket, status."""
    citizen = "6281234500001"

    greeting = stack.say(citizen, "halo")
    assert "La-Lisa" in texts(greeting)
    assert "Lapor pelanggaran" in buttons(greeting)

    opening = stack.say(citizen, "ada pkl jualan di trotoar depan pasar paringin bikin macet")
    assert "Di mana lokasinya?" in texts(opening)

    outside = stack.say(citizen, location_payload(PIN_BANJARMASIN))
    assert "di luar wilayah Kabupaten Balangan" in texts(outside)

    inside = stack.say(citizen, location_payload(PIN_PARINGIN))
    assert "Lokasi tercatat: Paringin Kota, Kecamatan Paringin" in texts(inside)
    assert "Kapan kejadiannya?" in texts(inside)

    when = stack.say(citizen, "tadi pagi jam 8")
    assert "foto atau video" in texts(when)

    evidence = stack.say(citizen, "lewati")
    assert "Identitas Anda dirahasiakan" in texts(evidence)

    summary = stack.say(citizen, "Budi")
    summary_text = texts(summary)
    assert "Jenis: Pedagang kaki lima (PKL)" in summary_text
    assert "Kejadian: ada pkl jualan di trotoar depan pasar paringin bikin macet" in summary_text
    assert "Paringin Kota, Kecamatan Paringin" in summary_text
    assert "Nama pelapor: Budi" in summary_text
    assert buttons(summary) == ["Kirim laporan", "Ubah", "Batalkan"]

    confirmed = stack.say(citizen, "/affirm")
    confirmed_text = texts(confirmed)
    numbers = TICKET_RE.findall(confirmed_text)
    assert numbers, confirmed_text
    number = numbers[0]
    assert number.startswith(f"LLS-{datetime.now(timezone.utc).year}") or number.startswith("LLS-")
    if is_office_open(datetime.now(timezone.utc)):
        assert "segera diverifikasi" in confirmed_text
    else:
        assert "di luar jam kerja" in confirmed_text

    rows = fetch(stack.database_url, "SELECT * FROM tickets WHERE number = :n", n=number)
    assert len(rows) == 1
    ticket = rows[0]
    assert ticket["category"] == "pkl"
    assert ticket["kecamatan"] == "Paringin"
    assert ticket["desa"] == "Paringin Kota"
    assert abs(float(ticket["latitude"]) - PIN_PARINGIN["latitude"]) < 1e-6
    assert ticket["status"] == "baru"
    assert ticket["incident_time_text"] == "tadi pagi jam 8"

    reporters = fetch(stack.database_url, "SELECT * FROM reporters")
    assert len(reporters) == 1
    raw = " ".join(str(value) for value in reporters[0].values())
    assert citizen not in raw and "Budi" not in raw, "identity must be encrypted at rest"

    status = stack.say(citizen, f"cek status {number}")
    assert f"Tiket *{number}*" in texts(status)
    assert "Baru" in texts(status) or "diterima" in texts(status).lower()

    stranger = stack.say("6289999999999", f"cek status {number}")
    assert "tidak ditemukan" in texts(stranger)
    assert "Pedagang" not in texts(stranger)


def test_cancel_saves_nothing(stack: Stack) -> None:
    """Cancelling a report with content asks first; "tidak" keeps it, "ya" leaves no ticket."""
    citizen = "6281234500002"
    before = fetch(stack.database_url, "SELECT count(*) AS n FROM tickets")[0]["n"]
    stack.say(citizen, "mau lapor ada yang jual tuak")
    asked = stack.say(citizen, "batal")
    assert "Batalkan laporan ini?" in texts(asked)
    kept = stack.say(citizen, "tidak")
    assert "tidak dibatalkan" in texts(kept)
    stack.say(citizen, "batal")
    cancelled = stack.say(citizen, "ya")
    assert "Laporan dibatalkan" in texts(cancelled)
    after = fetch(stack.database_url, "SELECT count(*) AS n FROM tickets")[0]["n"]
    assert after == before


def test_emergency_numbers_come_first(stack: Stack) -> None:
    """An emergency gets 112/110/113/119 at once, even in the middle of a complaint."""
    citizen = "6281234500003"
    stack.say(citizen, "mau lapor")
    replies = stack.say(citizen, "tolong ada kebakaran rumah warga sekarang")
    reply_text = texts(replies)
    assert "112" in reply_text and "110" in reply_text
    assert "113" in reply_text and "119" in reply_text
    assert "112" in str(replies[0].get("text"))
