"""Starts the real action server and Rasa server for end-to-end tests.

The servers run as subprocesses on free ports with a fresh database: a SQLite
file always, and a freshly created PostgreSQL database as well when
DATABASE_URL points at PostgreSQL (as in CI).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.model import model_path  # noqa: E402

START_TIMEOUT_S = 240


def free_port() -> int:
    """Asks the OS for a free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """A running action server + Rasa server pair."""

    rasa_url: str
    database_url: str
    env: dict[str, str]
    log_dir: Path

    def say(self, sender: str, message: str) -> list[dict]:
        """Sends one message through the REST channel and returns the bot's replies."""
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=60,
        )
        response.raise_for_status()
        return list(response.json())


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {START_TIMEOUT_S}s:\n{log.read_text()[-4000:]}")


def _admin_sql(dsn: str, statement: str) -> None:
    """Runs one statement outside a transaction (CREATE/DROP DATABASE)."""

    async def run() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _postgres_databases() -> list[str]:
    base = os.environ.get("DATABASE_URL", "")
    return [base] if base.startswith(("postgresql://", "postgres://")) else []


@pytest.fixture(
    scope="session", params=["sqlite", *(["postgresql"] if _postgres_databases() else [])]
)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The running servers on one database backend."""
    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}; run `make train` first")
    work = tmp_path_factory.mktemp(f"e2e-{request.param}")
    created_pg: tuple[str, str] | None = None
    if request.param == "sqlite":
        database_url = f"sqlite:///{work / 'lalisa.db'}"
        tracker_url = f"sqlite:///{work / 'tracker.db'}"
    else:
        base = _postgres_databases()[0].replace("postgres://", "postgresql://", 1)
        name = f"lalisa_e2e_{uuid.uuid4().hex[:10]}"
        _admin_sql(base, f'CREATE DATABASE "{name}"')
        database_url = base.rsplit("/", 1)[0] + f"/{name}"
        tracker_url = database_url
        created_pg = (base, name)

    action_port, rasa_port = free_port(), free_port()
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        (ROOT / "endpoints.yml")
        .read_text()
        .replace("http://localhost:5055/webhook", f"http://127.0.0.1:{action_port}/webhook")
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRACKER_DATABASE_URL": tracker_url,
        "LALISA_VAR_DIR": str(work / "var"),
        "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    env.pop("REDIS_URL", None) if request.param == "sqlite" else None
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "lalisa.migrate"], cwd=ROOT, env=env, check=True
    )
    action_log = (work / "actions.log").open("wb")
    rasa_log = (work / "rasa.log").open("wb")
    actions = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "--port",
            str(action_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=action_log,
        stderr=subprocess.STDOUT,
    )
    rasa = subprocess.Popen(
        [
            str(ROOT / ".venv-rasa/bin/rasa"),
            "run",
            "--model",
            str(model),
            "--interface",
            "127.0.0.1",
            "--port",
            str(rasa_port),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--endpoints",
            str(endpoints),
        ],
        cwd=ROOT,
        env=env,
        stdout=rasa_log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_http(f"http://127.0.0.1:{action_port}/health", actions, work / "actions.log")
        _wait_http(f"http://127.0.0.1:{rasa_port}/", rasa, work / "rasa.log")
        yield Stack(f"http://127.0.0.1:{rasa_port}", database_url, env, work)
    finally:
        for process in (rasa, actions):
            process.terminate()
        for process in (rasa, actions):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        action_log.close()
        rasa_log.close()
        if created_pg is not None:
            base, name = created_pg
            _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
