"""The SKM survey over WhatsApp, end to end through the sandbox.

Real servers (actions, Rasa, sandbox, back office and the outbox worker: ``office``). A
ticket of each citizen is closed with :func:`lalisa.tickets.workflow.close_done`; the outbox worker
sends the invitation with its reply buttons; the citizen answers from the phone:

* the first taps "Isi survei" and answers the nine list questions and a suggestion;
* the second answers three, checks a status in the middle, says "nanti saja", comes back with
  "lanjutkan survei" at question 4, types some answers ("3", "sangat puas"), skips the
  suggestion;
* the third taps "Tidak mau".

The stored rows and the IKM computed by :mod:`lalisa.survey.skm` are checked against the hand
computation, and so is the IKM shown on the back-office page.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx

from backoffice.auth.roles import Role
from lalisa.survey.skm import UNSUR

from .conftest import Stack
from .helpers import Officer, create_officers
from .phone import Phone, choices

ROOT = Path(__file__).resolve().parents[2]
SUPERADMIN = Officer("super.survei", "Super Survei", Role.SUPERADMIN, "Sandi-Survei-Uji-5531")
FIRST = "6281234500701"
SECOND = "6281234500702"
THIRD = "6281234500703"


def _db_step(office: Stack, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.survey_db", *args],
        cwd=ROOT,
        env=office.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _phone(office: Stack, number: str) -> Phone:
    phone = Phone(office.sandbox_url, number)
    # The citizen wrote in the last 24 hours, so the invitation comes as buttons.
    phone.text("halo")
    phone.wait_for("La-Lisa")
    return phone


def _invite(office: Stack, phone: Phone) -> str:
    number = _db_step(office, "close", phone.number)
    phone.wait_for("survei kepuasan")
    buttons = next(c for m in phone.last_messages if (c := choices(m)) and "Isi survei" in c)
    assert set(buttons) == {"Isi survei", "Tidak mau"}
    assert number in buttons["Isi survei"]
    return number


def _tap_score(phone: Phone, score: int) -> None:
    """Taps the list row that starts with the score ("3 - Sesuai")."""
    for message in reversed(phone.last_messages):
        for title in choices(message):
            if title.startswith(f"{score} - "):
                phone.tap(title)
                return
    raise AssertionError(f"no row for {score} in {phone.last_messages}")


def _question(index: int) -> str:
    return f"Pertanyaan {index} dari 9"


def _sign_in_superadmin(office: Stack) -> httpx.Client:
    create_officers(office.database_url, SUPERADMIN)
    assert office.backoffice_url is not None
    client = httpx.Client(base_url=office.backoffice_url, timeout=30)
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    response = client.post(
        "/login",
        data={
            "username": SUPERADMIN.username,
            "password": SUPERADMIN.password,
            "csrf_token": token.group(1),
        },
    )
    assert response.status_code in (200, 303), response.text
    return client


def test_survey_complete_resume_and_decline(office: Stack) -> None:
    first, second, third = _phone(office, FIRST), _phone(office, SECOND), _phone(office, THIRD)

    # 1. Complete with the list, then a suggestion.
    first_ticket = _invite(office, first)
    first.tap("Isi survei")
    first.wait_for(_question(1))
    scores_1 = (4, 4, 3, 4, 3, 3, 4, 2, 3)
    for index, score in enumerate(scores_1, start=1):
        _tap_score(first, score)
        first.wait_for(_question(index + 1) if index < 9 else "saran atau masukan")
    first.text("Petugas datang cepat, terima kasih")
    first.wait_for("Terima kasih atas penilaian Anda")

    # 2. Three answers, a status check in the middle, a break, then the rest.
    second_ticket = _invite(office, second)
    second.tap("Isi survei")
    second.wait_for(_question(1))
    for index, score in enumerate((2, 2, 1), start=1):
        _tap_score(second, score)
        second.wait_for(_question(index + 1))
    second.text("cek status laporan saya")
    replies = second.wait_for(_question(4))
    assert second_ticket in replies  # the status answer, then the survey goes on
    second.text("nanti saja ya")
    second.wait_for("survei kami hentikan dulu")
    second.text("lanjutkan survei")
    replies = second.wait_for(_question(4))
    assert "dari pertanyaan ke-4" in replies
    second.text("3")
    second.wait_for(_question(5))
    second.text("sangat puas")
    second.wait_for(_question(6))
    for index, score in enumerate((3, 3, 2, 3), start=6):
        _tap_score(second, score)
        second.wait_for(_question(index + 1) if index < 9 else "saran atau masukan")
    second.tap("Lewati")
    second.wait_for("Terima kasih atas penilaian Anda")

    # 3. Declines.
    third_ticket = _invite(office, third)
    third.tap("Tidak mau")
    third.wait_for("tidak akan meminta survei")
    third.text("lanjutkan survei")
    third.wait_for("tidak ada survei kepuasan yang perlu Anda isi")

    stored = json.loads(_db_step(office, "results"))
    surveys = stored["surveys"]
    assert surveys[first_ticket]["status"] == "completed"
    assert [surveys[first_ticket]["answers"][key] for key in UNSUR] == list(scores_1)
    assert surveys[first_ticket]["saran"] == "Petugas datang cepat, terima kasih"
    assert surveys[second_ticket]["status"] == "completed"
    assert [surveys[second_ticket]["answers"][key] for key in UNSUR] == [2, 2, 1, 3, 4, 3, 3, 2, 3]
    assert surveys[second_ticket]["saran"] is None and surveys[second_ticket]["saran_done"]
    assert surveys[third_ticket]["status"] == "declined"
    assert stored["counts"] == [3, 2, 0, 1]
    # By hand: NRR 3, 3, 2, 3.5, 3.5, 3, 3.5, 2, 3 (sum 26.5) -> 26.5 / 9 x 25 = 73.61 (C).
    assert stored["ikm"] == "73.61"
    assert stored["mutu"] == "C"

    client = _sign_in_superadmin(office)
    try:
        page = client.get("/survei")
    finally:
        client.close()
    assert page.status_code == 200
    assert '<span class="skm-value" id="ikm-value">73.61</span>' in page.text
    assert "Mutu C" in page.text
    assert "Petugas datang cepat, terima kasih" in page.text
