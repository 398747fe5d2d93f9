"""Starts every La-Lisa process, prints their URLs and stops them all on Ctrl-C.

Used by `make run` (after set-up, migrations and training). One process
manager for all services: if any of them exits, the others are stopped too, so
a half-running system never hides a crash.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lalisa_common.env import default_env_file, env_int, read_env_file  # noqa: E402
from lalisa_common.env import env_port as port_setting  # noqa: E402
from lalisa_common.quiet import pythonwarnings  # noqa: E402
from lalisa_common.threads import serving_thread_env  # noqa: E402
from scripts.guard import prepare_environment  # noqa: E402
from scripts.model import model_path  # noqa: E402

DEFAULT_ACTION_PORT = 5055
DEFAULT_RECEIVER_PORT = 5004
WEBHOOK_PATH = "/webhooks/whatsapp/webhook"
STOP_TIMEOUT_S = 15
WORKER_GRACE_S = 2.0
READY_TIMEOUT_S = 240


@dataclass
class Service:
    """One process of the system."""

    name: str
    command: list[str]
    # None for a worker without an HTTP port: ready once it has stayed up briefly.
    health_url: str | None
    urls: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    # Variables added to (not replacing) the supervisor's environment for this process only.
    env: dict[str, str] = field(default_factory=dict)

    def process_env(self) -> dict[str, str] | None:
        """The environment to start the process with (``None``: the supervisor's own)."""
        return {**os.environ, **self.env} if self.env else None


def env_port(name: str, default: int) -> int:
    """A port from the environment (``.env`` is already merged into it), else the default."""
    return port_setting(os.environ, name, default)


def load_dotenv_defaults() -> None:
    """Copies the variables of ``.env`` (``LALISA_ENV_FILE``) into the environment.

    Every child process then sees the same configuration, whether it reads
    ``.env`` itself or not; the process environment still wins.
    """
    for key, value in read_env_file(default_env_file()).items():
        if value:
            os.environ.setdefault(key, value)


def quiet_known_warnings() -> None:
    """Filters the known third-party deprecation warnings in every service (lalisa_common.quiet)."""
    known = pythonwarnings()
    current = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = f"{known},{current}" if current else known
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


def endpoints_file(action_port: int) -> Path:
    """endpoints.yml, or a copy under var/ pointing at a non-default action port."""
    endpoints = ROOT / "endpoints.yml"
    if action_port == DEFAULT_ACTION_PORT:
        return endpoints
    generated = ROOT / "var" / "endpoints.run.yml"
    generated.parent.mkdir(parents=True, exist_ok=True)
    generated.write_text(
        endpoints.read_text(encoding="utf-8").replace(
            f"localhost:{DEFAULT_ACTION_PORT}/", f"localhost:{action_port}/"
        ),
        encoding="utf-8",
    )
    return generated


def services() -> list[Service]:
    """The processes `make run` starts, in start order (after :func:`prepare_environment`)."""
    rasa_port = env_port("RASA_PORT", 5005)
    action_port = env_port("ACTION_PORT", DEFAULT_ACTION_PORT)
    rasa_host = os.environ.get("RASA_HOST", "127.0.0.1")
    model = model_path()
    listed = [
        Service(
            name="actions",
            command=[
                str(ROOT / ".venv/bin/python"),
                "-m",
                "actions.serve",
                "--port",
                str(action_port),
            ],
            health_url=f"http://127.0.0.1:{action_port}/health",
            urls=[f"action server    http://127.0.0.1:{action_port}/health"],
        ),
        Service(
            name="rasa",
            command=[
                str(ROOT / ".venv-rasa/bin/python"),
                "-m",
                "lalisa_rasa",
                "run",
                "--model",
                str(model),
                "--interface",
                rasa_host,
                "--port",
                str(rasa_port),
                "--credentials",
                "credentials.yml",
                "--endpoints",
                "endpoints.yml",
                # The HTTP API lets the back office pause/resume conversations (takeover);
                # RASA_API_TOKEN keeps everyone else out of it. The launcher hands it to Rasa
                # in memory: on the command line every local user could read it.
                "--enable-api",
            ],
            health_url=f"http://127.0.0.1:{rasa_port}/",
            urls=[
                f"Rasa server      http://{rasa_host}:{rasa_port}/",
                f"REST channel     POST http://{rasa_host}:{rasa_port}/webhooks/rest/webhook",
            ],
            # One TensorFlow/OpenMP thread per pool unless the operator set them (threads.py).
            env=serving_thread_env(os.environ),
        ),
    ]
    listed += whatsapp_services(model)
    backoffice_port = env_port("BACKOFFICE_PORT", 8000)
    backoffice_host = os.environ.get("BACKOFFICE_HOST", "127.0.0.1")
    listed.append(
        Service(
            name="backoffice",
            command=[str(ROOT / ".venv/bin/python"), "-m", "backoffice"],
            health_url=f"http://127.0.0.1:{backoffice_port}/health",
            urls=[f"back office      http://{backoffice_host}:{backoffice_port}/"],
        )
    )
    listed.append(
        Service(
            name="outbox",
            command=[str(ROOT / ".venv/bin/python"), "-m", "lalisa.notifications.worker"],
            health_url=None,
            urls=["outbox worker    sends WhatsApp notifications to citizens and the TRC"],
        )
    )
    if os.environ.get("WHATSAPP_ACCESS_TOKEN") == "sandbox-access-token":
        sandbox_port = env_port("SANDBOX_PORT", 5006)
        listed.append(
            Service(
                name="sandbox",
                command=[str(ROOT / ".venv-rasa/bin/python"), "-m", "sandbox"],
                health_url=f"http://127.0.0.1:{sandbox_port}/health",
                urls=[f"WhatsApp sandbox http://127.0.0.1:{sandbox_port}/ (phone simulator)"],
            )
        )
    return listed


def whatsapp_services(model: Path) -> list[Service]:
    """The webhook receiver and the Rasa workers (``LALISA_RASA_WORKERS``, default 1)."""
    receiver_port = env_port("LALISA_RECEIVER_PORT", DEFAULT_RECEIVER_PORT)
    receiver_host = os.environ.get("LALISA_RECEIVER_HOST", "127.0.0.1")
    listed = [
        Service(
            name="receiver",
            command=[str(ROOT / ".venv/bin/python"), "-m", "lalisa.ingress"],
            health_url=f"http://127.0.0.1:{receiver_port}/health",
            urls=[f"WhatsApp webhook http://{receiver_host}:{receiver_port}{WEBHOOK_PATH}"],
        )
    ]
    workers = env_int(os.environ, "LALISA_RASA_WORKERS", 1, minimum=1)
    for index in range(1, workers + 1):
        listed.append(
            Service(
                name=f"rasa-worker-{index}",
                command=[
                    str(ROOT / ".venv-rasa/bin/python"),
                    "-m",
                    "lalisa_rasa.worker",
                    "--model",
                    str(model),
                    "--endpoints",
                    str(endpoints_file(env_port("ACTION_PORT", DEFAULT_ACTION_PORT))),
                ],
                health_url=None,
                urls=[f"Rasa worker {index}    answers the queued WhatsApp messages"]
                if index == 1
                else [],
                env=serving_thread_env(os.environ),
            )
        )
    return listed


def wait_ready(service: Service, deadline: float) -> bool:
    """Polls the service's health URL until it answers or the deadline passes."""
    if service.health_url is None:
        time.sleep(WORKER_GRACE_S)
        return service.process is not None and service.process.poll() is None
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(service.health_url, timeout=2) as response:
                if response.status < 500:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def stop_all(started: list[Service]) -> None:
    """Sends SIGTERM to every process group, then SIGKILL to stragglers."""
    for service in reversed(started):
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for service in started:
        if service.process is None:
            continue
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()


def main() -> int:
    """Starts the services and supervises them until Ctrl-C or a crash."""
    os.chdir(ROOT)
    load_dotenv_defaults()
    # LALISA_ENV: refuse unsafe settings before anything starts; per-run secrets, sandbox.
    if not prepare_environment():
        return 2
    quiet_known_warnings()
    started: list[Service] = []
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    # Complaints kept on disk while the database was down go in first.
    subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "lalisa.spool"], check=False)
    # The first superadmin, with a generated password printed once (only if no user exists).
    subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "backoffice.bootstrap"], check=True)
    try:
        for service in services():
            print(f">> starting {service.name}: {' '.join(service.command[:3])} ...", flush=True)
            # Each service gets its own process group so Ctrl-C handling is ours.
            service.process = subprocess.Popen(
                service.command, start_new_session=True, env=service.process_env()
            )
            started.append(service)
            if not wait_ready(service, time.monotonic() + READY_TIMEOUT_S):
                if stopping:
                    return 0
                print(f"!! {service.name} did not become ready; stopping.", file=sys.stderr)
                return 1
        print("\nLa-Lisa is running:")
        for service in started:
            for url in service.urls:
                # The webhook line stands alone, unindented: operators and scripts look for it.
                print(url if url.startswith("WhatsApp webhook") else f"  {url}")
        print("Press Ctrl-C to stop.\n", flush=True)
        while not stopping:
            for service in started:
                if service.process and service.process.poll() is not None:
                    print(
                        f"!! {service.name} exited with {service.process.returncode}; stopping.",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        print(">> stopping ...", flush=True)
        stop_all(started)
        print(">> stopped.")


if __name__ == "__main__":
    sys.exit(main())
