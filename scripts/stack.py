"""Starts a private La-Lisa stack (actions, Rasa, receiver, workers, sandbox) on free ports.

Used by the end-to-end tests and by `make bench`: everything runs as real processes talking
HTTP, against the database URL given, with the WhatsApp channel pointed at the sandbox's fake
Graph API. The sandbox posts its webhooks to the receiver (``python -m lalisa.ingress``), which
queues them for the Rasa workers (``LALISA_RASA_WORKERS`` of them, default 1). With
``with_backoffice=True`` the back office and the outbox worker run too, the worker sending the
citizens' and officers' notifications to the same fake Graph API. :func:`backoffice` starts the
back office (and the worker) alone, next to a running stack or on a database of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from lalisa_common.identity import SenderKeys
from lalisa_common.threads import serving_thread_env
from scripts.model import model_path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")
# On a shared machine under load a stack takes longer to load its models.
START_TIMEOUT_S = float(os.environ.get("LALISA_STACK_START_TIMEOUT", "240"))
STOP_TIMEOUT_S = 20
OUTBOX_POLL_SECONDS = "0.5"
WORKER_STARTED = b"Outbox worker"
RASA_WORKER_STARTED = b"Rasa worker started"
RASA_PROCESSES = ("rasa", "rasa-worker-")
"""Names of the processes that load the model: ``rasa`` and ``rasa-worker-<n>``."""


@dataclass
class Stack:
    """A running action server, Rasa server, receiver, workers and sandbox (and back office)."""

    rasa_url: str
    sandbox_url: str
    database_url: str
    env: dict[str, str]
    log_dir: Path
    receiver_url: str = ""
    """The webhook receiver (``/webhooks/whatsapp/webhook`` is the WhatsApp webhook)."""
    backoffice_url: str | None = None
    """The back office, when the stack was started ``with_backoffice``."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    commands: dict[str, list[str]] = field(default_factory=dict, repr=False)
    health: dict[str, str | None] = field(default_factory=dict, repr=False)

    def citizen_key(self, sender: str) -> str:
        """The key Rasa and the stores know a citizen by (under this stack's identity key)."""
        return SenderKeys(self.env["LALISA_IDENTITY_KEY"]).key_for(sender)

    def restart(self, name: str) -> None:
        """Stops one process (``rasa``, ``actions`` …) and starts it again, waiting until ready.

        The new process appends to the same log file.
        """
        stop(self.processes[name])
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            restarted = subprocess.Popen(
                self.commands[name],
                cwd=ROOT,
                env=process_env(name, self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = restarted
        wait_ready(self.health[name], restarted, log_path)

    @property
    def webhook_url(self) -> str:
        """Where WhatsApp (here: the sandbox) posts its webhooks."""
        return f"{self.receiver_url}/webhooks/whatsapp/webhook"

    def say(self, sender: str, message: str) -> list[dict[str, Any]]:
        """Sends one message through the REST channel and returns the bot's replies."""
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": message}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return list(json.loads(response.read()))


def free_port() -> int:
    """Asks the OS for a free TCP port on localhost."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Asks the OS for ``count`` distinct free TCP ports on localhost.

    The sockets stay bound until every port is known: a port released and then handed out
    again would give two servers of one stack the same port, and the health check of the one
    that failed to bind would be answered by the other.
    """
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def process_env(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """The environment of the process ``name``: ``env``, for a Rasa process with thread limits.

    ``rasa`` and ``rasa-worker-<n>`` get one TensorFlow/OpenMP thread per pool unless ``env``
    sets the variable (:mod:`lalisa_common.threads`); every other process gets ``env`` as is.
    """
    if name == RASA_PROCESSES[0] or name.startswith(RASA_PROCESSES[1]):
        return {**env, **serving_thread_env(env)}
    return dict(env)


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Waits until ``url`` answers, failing early when the process dies."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {START_TIMEOUT_S}s:\n{log.read_text()[-4000:]}")


def wait_log(marker: bytes, process: subprocess.Popen[bytes], log: Path) -> None:
    """Waits until a process without an HTTP port writes ``marker`` to its log."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.stem} exited early:\n{log.read_text()[-4000:]}")
        if marker in log.read_bytes():
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"{log.stem} not started after {START_TIMEOUT_S}s:\n{log.read_text()[-4000:]}"
    )


def wait_ready(url: str | None, process: subprocess.Popen[bytes], log: Path) -> None:
    """Waits until ``url`` answers or, for a process without one, until it logs its start.

    ``None`` waits for the outbox worker's line, ``log:<text>`` for ``<text>``.
    """
    if url is None:
        wait_log(WORKER_STARTED, process, log)
    elif url.startswith("log:"):
        wait_log(url[4:].encode(), process, log)
    else:
        wait_http(url, process, log)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminates a process, killing it when it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def migrate(env: Mapping[str, str]) -> None:
    """Migrates the database of ``env`` (``DATABASE_URL``) to the newest revision."""
    subprocess.run([PYTHON, "-m", "lalisa.migrate"], cwd=ROOT, env=env, check=True)


def backoffice_env(port: int) -> dict[str, str]:
    """Variables for a back office on ``port`` (plain-http cookies) and a fast outbox worker."""
    return {
        "BACKOFFICE_HOST": "127.0.0.1",
        "BACKOFFICE_PORT": str(port),
        "BACKOFFICE_INSECURE_COOKIES": "1",
        "BACKOFFICE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "OUTBOX_POLL_SECONDS": OUTBOX_POLL_SECONDS,
    }


def office_processes(
    backoffice_url: str, *, worker: bool = True
) -> tuple[dict[str, list[str]], dict[str, str | None]]:
    """The commands and health URLs of the back office and (with ``worker``) the outbox worker."""
    commands = {"backoffice": [PYTHON, "-m", "backoffice"]}
    health: dict[str, str | None] = {"backoffice": f"{backoffice_url}/health"}
    if worker:
        commands["worker"] = [PYTHON, "-m", "lalisa.notifications.worker"]
        health["worker"] = None  # no HTTP port: ready once it logs that it started
    return commands, health


@contextmanager
def run_processes(
    commands: Mapping[str, list[str]],
    health: Mapping[str, str | None],
    env: Mapping[str, str],
    logs: Mapping[str, Path],
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Starts the commands, waits until each is ready, stops them all afterwards.

    Args:
        commands: The command line of each process, by name.
        health: The URL that answers once the process is ready, or ``None`` for a process
            that logs ``WORKER_STARTED`` instead.
        env: The environment of every process (a Rasa process's gets thread limits added,
            :func:`process_env`).
        logs: The file that receives each process's output (stdout and stderr).

    Yields:
        The running processes, by name.
    """
    processes: dict[str, subprocess.Popen[bytes]] = {}
    with ExitStack() as files:
        try:
            for name, command in commands.items():
                log = files.enter_context(logs[name].open("wb"))
                processes[name] = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=process_env(name, env),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            for name, process in processes.items():
                wait_ready(health[name], process, logs[name])
            yield processes
        finally:
            # Terminate all first so that they shut down in parallel.
            for process in processes.values():
                process.terminate()
            for process in processes.values():
                stop(process)


@contextmanager
def backoffice(
    env: Mapping[str, str],
    log_dir: Path,
    *,
    worker: bool = True,
    port: int | None = None,
    log_suffix: str = "",
) -> Iterator[str]:
    """Runs the back office (and with ``worker`` the outbox worker) with ``env``; yields its URL.

    The database of ``env`` must be migrated already. Logs go to
    ``log_dir/backoffice{log_suffix}.log`` (and ``worker{log_suffix}.log``).
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    commands, health = office_processes(url, worker=worker)
    logs = {name: log_dir / f"{name}{log_suffix}.log" for name in commands}
    with run_processes(commands, health, {**env, **backoffice_env(port)}, logs):
        yield url


def rasa_worker_commands(
    env: Mapping[str, str], model: Path, endpoints: Path
) -> dict[str, list[str]]:
    """The command of each Rasa worker (``rasa-worker-1`` …), ``LALISA_RASA_WORKERS`` of them."""
    count = int(env.get("LALISA_RASA_WORKERS") or 1)
    command = [
        str(ROOT / ".venv-rasa/bin/python"), "-m", "lalisa_rasa.worker",
        "--model", str(model), "--endpoints", str(endpoints),
    ]  # fmt: skip
    return {f"rasa-worker-{index}": list(command) for index in range(1, count + 1)}


@contextmanager
def local_stack(
    work: Path,
    database_url: str,
    tracker_url: str,
    extra_env: dict[str, str] | None = None,
    *,
    with_backoffice: bool = False,
    production: bool = False,
) -> Iterator[Stack]:
    """Migrates the database, starts the processes, stops them afterwards.

    Three processes by default (sandbox, actions, Rasa); ``with_backoffice`` adds the back
    office (plain-http cookies, on a free port) and the outbox worker (polling every 0.5 s).
    ``production`` runs every process with ``LALISA_ENV=production`` (REST channel closed
    without ``LALISA_REST_TOKEN``; back-office cookies Secure): the stack the attacker tests of
    ``tests/security`` probe. The sandbox still stands in for Meta.
    """
    model = model_path()
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}; run `make train` first")
    action_port, rasa_port, sandbox_port, receiver_port, office_port = free_ports(5)
    backoffice_port = office_port if with_backoffice else 0
    backoffice_url = f"http://127.0.0.1:{backoffice_port}"
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        (ROOT / "endpoints.yml")
        .read_text(encoding="utf-8")
        .replace("http://localhost:5055/webhook", f"http://127.0.0.1:{action_port}/webhook"),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRACKER_DATABASE_URL": tracker_url,
        "LALISA_VAR_DIR": str(work / "var"),
        "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
        "LALISA_MEDIA_DIR": str(work / "media"),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # The WhatsApp channel talks to the local sandbox instead of Meta.
        "WHATSAPP_VERIFY_TOKEN": "local-verify-token",
        "WHATSAPP_APP_SECRET": "local-app-secret",
        "WHATSAPP_ACCESS_TOKEN": "local-access-token",
        "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
        "WHATSAPP_API_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
        "SANDBOX_PORT": str(sandbox_port),
        "LALISA_RECEIVER_PORT": str(receiver_port),
        "SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{receiver_port}/webhooks/whatsapp/webhook",
        # Rasa's HTTP API (conversation takeover) with a token of this stack only.
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_API_TOKEN": secrets.token_urlsafe(24),
        # The action server refuses every call without this shared secret (endpoints.yml).
        "LALISA_ACTION_SECRET": secrets.token_urlsafe(24),
        **(backoffice_env(backoffice_port) if with_backoffice else {}),
        **(extra_env or {}),
    }
    if production:
        env["LALISA_ENV"] = "production"
        env.pop("BACKOFFICE_INSECURE_COOKIES", None)
        env.pop("LALISA_REST_TOKEN", None)
    migrate(env)
    commands = {
        "sandbox": [str(ROOT / ".venv-rasa/bin/python"), "-m", "sandbox"],
        "actions": [PYTHON, "-m", "actions.serve", "--port", str(action_port)],
        "rasa": [
            str(ROOT / ".venv-rasa/bin/python"), "-m", "lalisa_rasa", "run", "--model", str(model),
            "--interface", "127.0.0.1", "--port", str(rasa_port),
            "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(endpoints),
            "--enable-api",  # the token comes from RASA_API_TOKEN, never the command line
        ],
    }  # fmt: skip
    health: dict[str, str | None] = {
        "sandbox": f"http://127.0.0.1:{sandbox_port}/health",
        "actions": f"http://127.0.0.1:{action_port}/health",
        "rasa": f"http://127.0.0.1:{rasa_port}/",
    }
    commands["receiver"] = [PYTHON, "-m", "lalisa.ingress"]
    health["receiver"] = f"http://127.0.0.1:{receiver_port}/health"
    for name, command in rasa_worker_commands(env, model, endpoints).items():
        commands[name] = command
        health[name] = f"log:{RASA_WORKER_STARTED.decode()}"
    if with_backoffice:
        office_commands, office_health = office_processes(backoffice_url)
        commands.update(office_commands)
        health.update(office_health)
    logs = {name: work / f"{name}.log" for name in commands}
    with run_processes(commands, health, env, logs) as processes:
        yield Stack(
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            receiver_url=f"http://127.0.0.1:{receiver_port}",
            sandbox_url=f"http://127.0.0.1:{sandbox_port}",
            database_url=database_url,
            env=env,
            log_dir=work,
            backoffice_url=backoffice_url if with_backoffice else None,
            processes=processes,
            commands=commands,
            health=health,
        )
