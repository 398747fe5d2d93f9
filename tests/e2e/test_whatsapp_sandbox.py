"""A complaint over WhatsApp: signed webhooks through the sandbox to the real channel.

The citizen taps buttons, shares a pin and a photo; every reply they saw is
asserted, then the ticket and its media file are checked in the database and
on disk.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest

from .conftest import Stack
from .phone import Phone
from .test_complaint_over_http import fetch

# An 8x8 red JPEG.
PHOTO = (Path(__file__).parent / "data" / "bukti.jpg").read_bytes()
TICKET_RE = re.compile(r"LLS-\d{4}-\d{6}")


def desa_point(name: str) -> tuple[float, float]:
    """The interior point of a desa from the shipped crosswalk file."""
    geo = Path(__file__).resolve().parents[2] / "lalisa" / "places" / "data" / "geo"
    csv = geo / "balangan_desa_kemendagri_bps_crosswalk.csv"
    for line in csv.read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split(",")
        if cells[2] == name:
            return float(cells[7]), float(cells[8])
    raise KeyError(name)


def test_complaint_with_pin_and_photo_over_whatsapp(stack: Stack) -> None:
    """Menu button, complaint, pin, photo, name skipped, submit button, ticket with media."""
    phone = Phone(stack.sandbox_url, "6281234500201")

    phone.text("assalamualaikum")
    greeting = phone.wait_for("Lapor pelanggaran")
    assert "La-Lisa" in greeting

    phone.tap("Lapor pelanggaran")
    asked = phone.wait_for("Apa jenis pelanggaran")
    assert "Miras / tuak" in asked

    phone.tap("Miras / tuak")
    phone.wait_for("Ceritakan apa yang terjadi")

    phone.text("warung di pinggir jalan jual tuak, banyak pemuda mabuk")
    phone.wait_for("Di mana lokasinya?")

    latitude, longitude = desa_point("Hilir Pasar")
    phone.location(latitude, longitude)
    located = phone.wait_for("Kapan kejadiannya?")
    assert "Lokasi tercatat: Hilir Pasar, Kecamatan Lampihong" in located

    phone.text("tadi malam jam 10")
    phone.wait_for("kirim foto atau video")

    phone.photo(PHOTO, caption="warungnya")
    received = phone.wait_for("Identitas Anda dirahasiakan")
    assert "Foto/video diterima (1 file)" in received

    phone.text("lewati")
    summary = phone.wait_for("Apakah laporan ini sudah benar")
    assert "Jenis: Minuman keras" in summary
    assert "Bukti: 1 foto/video" in summary
    assert "Nama pelapor: tidak disebutkan" in summary

    phone.tap("Kirim laporan")
    confirmation = phone.wait_for("nomor tiket")
    number = TICKET_RE.search(confirmation)
    assert number, confirmation

    tickets = fetch(stack.database_url, "SELECT * FROM tickets WHERE number = :n", n=number[0])
    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket["category"] == "miras"
    assert ticket["kecamatan"] == "Lampihong" and ticket["desa"] == "Hilir Pasar"
    media = fetch(
        stack.database_url, "SELECT * FROM ticket_media WHERE ticket_id = :t", t=ticket["id"]
    )
    assert len(media) == 1
    stored = Path(media[0]["path"])
    assert stored.exists()
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == media[0]["sha256"]
    assert media[0]["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert media[0]["caption"] == "warungnya"


def signed_text_webhook(stack: Stack, phone: str, wamid: str, body: str) -> tuple[bytes, str]:
    """A Meta-shaped text message webhook and its X-Hub-Signature-256."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-E2E",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "6285100000001",
                                "phone_number_id": stack.env["WHATSAPP_PHONE_NUMBER_ID"],
                            },
                            "contacts": [{"profile": {"name": "Warga"}, "wa_id": phone}],
                            "messages": [
                                {
                                    "from": phone,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": body},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    raw = json.dumps(payload).encode()
    digest = hmac.new(stack.env["WHATSAPP_APP_SECRET"].encode(), raw, hashlib.sha256).hexdigest()
    return raw, f"sha256={digest}"


def test_redelivered_message_gets_one_reply(stack: Stack) -> None:
    """The same message id delivered three times is answered once; a bad signature is refused."""
    phone = Phone(stack.sandbox_url, "6281234500202")
    url = stack.webhook_url
    # A fresh id per run (the dedupe key lives as long as the inbound log row).
    wamid = f"wamid.E2E-REDELIVERY-{uuid.uuid4().hex}"
    raw, signature = signed_text_webhook(stack, phone.number, wamid, "halo")
    for _ in range(3):
        response = httpx.post(
            url,
            content=raw,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
            timeout=10,
        )
        assert response.status_code == 200
    phone.wait_for("Lapor pelanggaran")
    time.sleep(3)
    with pytest.raises(AssertionError):
        phone.wait_for("Lapor pelanggaran", timeout=3)

    forged = httpx.post(
        url,
        content=raw.replace(b"halo", b"hola"),
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        timeout=10,
    )
    assert forged.status_code == 403
