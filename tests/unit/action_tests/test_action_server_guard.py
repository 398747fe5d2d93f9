"""The action server (``python -m actions.serve``): loopback only, shared secret, bounded bodies."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.serve import inflate_bounded

ROOT = Path(__file__).resolve().parents[3]
SECRET = "s3cret-for-this-test-only-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(
    url: str, body: bytes = b"", headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body if method == "POST" else None, headers=headers or {}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    env = {
        **os.environ,
        "LALISA_ENV_FILE": "",
        "LALISA_ACTION_SECRET": SECRET,
        "LALISA_ACTION_MAX_BODY_BYTES": "65536",
    }
    env.pop("ACTION_HOST", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "actions.serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if call(f"{url}/health", method="GET")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(log.read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def action_call(sender: str = "6281234567890") -> bytes:
    return json.dumps(
        {
            "next_action": "action_check_status",
            "sender_id": sender,
            "tracker": {"sender_id": sender, "slots": {}, "latest_message": {}, "events": []},
            "domain": {},
            "version": "3.6.21",
        }
    ).encode()


def test_it_listens_on_loopback_only(action_server: str) -> None:
    port = int(action_server.rsplit(":", 1)[1])
    connections = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    local = [line.split()[3] for line in connections.splitlines() if line.strip()]
    assert local == [f"127.0.0.1:{port}"]


def test_forged_calls_without_the_secret_are_refused_before_any_action(
    action_server: str,
) -> None:
    json_type = {"Content-Type": "application/json"}
    assert call(f"{action_server}/webhook", action_call(), json_type)[0] == 401
    wrong = {**json_type, "X-Lalisa-Action-Secret": "guess"}
    assert call(f"{action_server}/webhook", action_call(), wrong)[0] == 401
    assert call(f"{action_server}/actions", method="GET")[0] == 401
    assert call(f"{action_server}/health", method="GET")[0] == 200


def test_the_secret_lets_rasa_through(action_server: str) -> None:
    headers = {"Content-Type": "application/json", "X-Lalisa-Action-Secret": SECRET}
    status, body = call(f"{action_server}/actions", headers=headers, method="GET")
    assert status == 200
    assert {"name": "action_check_status"} in json.loads(body)
    # A body Rasa compressed reaches the action (404 = unknown action, not a refusal).
    unknown = json.dumps({"next_action": "no_such_action", "tracker": {}, "domain": {}})
    deflated = {**headers, "Content-Encoding": "deflate"}
    status, body = call(f"{action_server}/webhook", zlib.compress(unknown.encode()), deflated)
    assert status == 404, body


def test_bodies_are_capped_before_and_after_inflating(action_server: str) -> None:
    headers = {
        "Content-Type": "application/json",
        "X-Lalisa-Action-Secret": SECRET,
        "Content-Encoding": "deflate",
    }
    bomb = zlib.compress(b"[" + b" " * 10_000_000 + b"]", 9)
    assert len(bomb) < 65536
    assert call(f"{action_server}/webhook", bomb, headers)[0] == 413
    assert call(f"{action_server}/webhook", b"not zlib", headers)[0] == 400
    plain = {"Content-Type": "application/json", "X-Lalisa-Action-Secret": SECRET}
    assert call(f"{action_server}/webhook", b" " * 200_000, plain)[0] == 413


def test_inflate_bounded() -> None:
    data = zlib.compress(b"x" * 1000)
    assert inflate_bounded(data, 1000) == b"x" * 1000
    assert inflate_bounded(data, 999) is None


def test_it_refuses_to_start_without_a_secret() -> None:
    env = {**os.environ, "LALISA_ENV_FILE": "", "LALISA_ACTION_SECRET": ""}
    done = subprocess.run(
        [sys.executable, "-m", "actions.serve", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "LALISA_ACTION_SECRET" in done.stderr


def test_production_refuses_a_public_interface() -> None:
    env = {
        **os.environ,
        "LALISA_ENV_FILE": "",
        "LALISA_ENV": "production",
        "LALISA_ACTION_SECRET": SECRET,
        "ACTION_HOST": "0.0.0.0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "actions.serve", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "ACTION_HOST" in done.stderr
