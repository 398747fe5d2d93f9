"""The attacker's tour of a production-profile stack on loopback (issue 13): every door closed.

Each test tries one door the review found open: the network, the action server, the REST
channel, a forced ``/restart`` during an admin's takeover, oversized bodies, secrets in the
process list, and ``make run`` starting with unsafe settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.stack import Stack
from tests.e2e.phone import Phone
from tests.security.network import listening, non_loopback_addresses, reachable

ROOT = Path(__file__).resolve().parents[2]
SECRET_VARIABLES = (
    "RASA_API_TOKEN",
    "LALISA_ACTION_SECRET",
    "LALISA_IDENTITY_KEY",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_VERIFY_TOKEN",
)


def ports(stack: Stack) -> dict[str, int]:
    actions = stack.commands["actions"]
    return {
        "rasa": int(stack.rasa_url.rsplit(":", 1)[1]),
        "sandbox": int(stack.sandbox_url.rsplit(":", 1)[1]),
        "actions": int(actions[actions.index("--port") + 1]),
    }


def action_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{ports(stack)['actions']}"


def test_nothing_listens_beyond_loopback(production_stack: Stack) -> None:
    for name, port in ports(production_stack).items():
        bound = listening(port)
        assert bound, f"{name} is not listening on {port}"
        assert all(address.startswith("127.0.0.1:") for address in bound), (name, bound)
        for address in non_loopback_addresses():
            assert not reachable(address, port), f"{name} reachable at {address}:{port}"


def test_forged_action_calls_are_refused(production_stack: Stack) -> None:
    url = action_url(production_stack)
    forged = {
        "next_action": "action_check_status",
        "sender_id": "6281234567890",
        "tracker": {"sender_id": "6281234567890", "slots": {}, "events": []},
        "domain": {},
        "version": "3.6.21",
    }
    for headers in ({}, {"X-Lalisa-Action-Secret": "tebakan"}):
        response = httpx.post(f"{url}/webhook", json=forged, headers=headers, timeout=30)
        assert response.status_code == 401, response.text
        assert "LLS-" not in response.text
    bomb = zlib.compress(b"{" + b" " * 50_000_000 + b"}", 9)
    deflated = {"Content-Encoding": "deflate", "Content-Type": "application/json"}
    assert (
        httpx.post(f"{url}/webhook", content=bomb, headers=deflated, timeout=30).status_code == 401
    )
    assert httpx.get(f"{url}/actions", timeout=30).status_code == 401


def test_the_action_secret_is_what_rasa_uses(production_stack: Stack) -> None:
    # The stack's own secret works (so the refusals above are not a dead server).
    headers = {"X-Lalisa-Action-Secret": production_stack.env["LALISA_ACTION_SECRET"]}
    response = httpx.get(f"{action_url(production_stack)}/actions", headers=headers, timeout=30)
    assert response.status_code == 200


def test_rest_channel_is_closed_without_a_token(production_stack: Stack) -> None:
    url = f"{production_stack.rasa_url}/webhooks/rest/webhook"
    body = {"sender": "6281234567890", "message": "cek status laporan saya"}
    assert httpx.post(url, json=body, timeout=30).status_code == 403
    bearer = {"Authorization": "Bearer tebakan"}
    assert httpx.post(url, json=body, headers=bearer, timeout=30).status_code == 403


def test_rasa_api_needs_its_token_and_bodies_are_capped(production_stack: Stack) -> None:
    api = f"{production_stack.rasa_url}/conversations/6281234567890/tracker"
    assert httpx.get(api, timeout=30).status_code == 401
    huge_body = b"{" + b" " * 3_000_000 + b"}"
    rest = f"{production_stack.rasa_url}/webhooks/rest/webhook"
    assert httpx.post(rest, content=huge_body, timeout=60).status_code == 413
    # Rasa keeps no WhatsApp webhook: it lives in the receiver, which caps bodies too.
    assert httpx.post(f"{production_stack.rasa_url}/webhooks/whatsapp/webhook").status_code == 404
    over_receiver_cap = b"{" + b" " * 4_000_000 + b"}"  # its cap is 3 MiB, as the proxy's
    receiver = httpx.post(production_stack.webhook_url, content=over_receiver_cap, timeout=60)
    assert receiver.status_code == 413


def tracker(stack: Stack, sender: str) -> dict[str, Any]:
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.env["RASA_API_TOKEN"], "include_events": "ALL"},
        timeout=30,
    )
    response.raise_for_status()
    return dict(response.json())


def user_texts(state: dict[str, Any]) -> list[str]:
    return [str(event.get("text")) for event in state["events"] if event["event"] == "user"]


@pytest.mark.parametrize("typed", ["/ /restart", "\t/restart", "\uff0frestart"])
def test_typed_restart_does_not_lift_a_takeover(production_stack: Stack, typed: str) -> None:
    number = "62813" + str(uuid.uuid4().int)[:8]
    sender = production_stack.citizen_key(number)  # Rasa knows the citizen by key
    # The admin takes the conversation over (what the back office does through Rasa's API).
    paused = httpx.post(
        f"{production_stack.rasa_url}/conversations/{sender}/tracker/events",
        params={"token": production_stack.env["RASA_API_TOKEN"]},
        json={"event": "pause"},
        timeout=30,
    )
    assert paused.status_code == 200, paused.text
    Phone(production_stack.sandbox_url, number).text(typed)
    deadline = time.monotonic() + 60
    state = tracker(production_stack, sender)
    while not user_texts(state) and time.monotonic() < deadline:
        time.sleep(0.5)
        state = tracker(production_stack, sender)
    assert user_texts(state) == ["restart"], state["events"]
    assert state["paused"] is True
    assert not [event for event in state["events"] if event["event"] == "restart"]


def test_no_secret_on_any_command_line(production_stack: Stack) -> None:
    secrets = {
        name: production_stack.env[name]
        for name in SECRET_VARIABLES
        if production_stack.env.get(name)
    }
    assert {"RASA_API_TOKEN", "LALISA_ACTION_SECRET"} <= secrets.keys()
    for name, process in production_stack.processes.items():
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
        for variable, value in secrets.items():
            assert value not in cmdline, f"{variable} on the command line of {name}"
    # What any local user sees with ps, across every process of the machine (only the secrets
    # generated for this stack: the fixed test credentials could appear in unrelated processes).
    listing = subprocess.run(
        ["ps", "-eo", "args"], capture_output=True, text=True, check=True
    ).stdout
    for variable in ("RASA_API_TOKEN", "LALISA_ACTION_SECRET", "LALISA_IDENTITY_KEY"):
        assert secrets[variable] not in listing, f"{variable} visible in ps"


def run_make_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LALISA_ENV_FILE": "",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run.py")],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


SAFE_PRODUCTION = {
    "LALISA_ENV": "production",
    "LALISA_IDENTITY_KEY": "kunci-uji-yang-tidak-dipakai-untuk-apa-pun=",
    "WHATSAPP_VERIFY_TOKEN": "verify-9f2c1e7a",
    "WHATSAPP_APP_SECRET": "0123456789abcdef0123456789abcdef",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-real-looking-token",
    "WHATSAPP_PHONE_NUMBER_ID": "109876543210987",
}


@pytest.mark.parametrize(
    ("unsafe", "variable"),
    [
        ({"LALISA_IDENTITY_KEY": ""}, "LALISA_IDENTITY_KEY"),
        ({"WHATSAPP_APP_SECRET": "sandbox-app-secret"}, "WHATSAPP_APP_SECRET"),
        ({"WHATSAPP_ACCESS_TOKEN": ""}, "WHATSAPP_ACCESS_TOKEN"),
        ({"BACKOFFICE_INSECURE_COOKIES": "1"}, "BACKOFFICE_INSECURE_COOKIES"),
        ({"RASA_HOST": "0.0.0.0"}, "RASA_HOST"),
        ({"ACTION_HOST": "0.0.0.0"}, "ACTION_HOST"),
        ({"SANDBOX_HOST": "0.0.0.0"}, "SANDBOX_HOST"),
        ({"LALISA_SANDBOX": "1"}, "LALISA_SANDBOX"),
    ],
)
def test_make_run_refuses_each_unsafe_setting(unsafe: dict[str, str], variable: str) -> None:
    done = run_make_run({**SAFE_PRODUCTION, **unsafe})
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"- {variable}" in done.stderr or f", {variable}" in done.stderr, done.stderr
    assert "LALISA_ENV=production" in done.stderr
    assert ">> starting" not in done.stdout


def test_make_run_lists_every_problem_at_once() -> None:
    done = run_make_run({"LALISA_ENV": "production", "RASA_HOST": "0.0.0.0"})
    assert done.returncode == 2
    for name in ("LALISA_IDENTITY_KEY", "WHATSAPP_APP_SECRET", "RASA_HOST"):
        assert name in done.stderr
    assert "Traceback" not in done.stderr


def test_the_sandbox_never_fills_in_partial_credentials() -> None:
    # Development too: a typo in one variable must not swap a real app secret for the sandbox's.
    done = run_make_run({"WHATSAPP_APP_SECRET": "rahasia-aplikasi-asli-dari-meta"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "WHATSAPP_VERIFY_TOKEN, WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID" in done.stderr
    assert "LALISA_ENV=development" in done.stderr
    assert ">> starting" not in done.stdout
