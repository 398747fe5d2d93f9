"""The deployment files in deploy/ match the system they deploy.

Every process `make run` starts (bar the development sandbox) has a systemd unit, every unit
carries the same sandbox, every ExecStart runs a module that exists in the repository, and the
reverse proxy exposes only the WhatsApp webhook and the back office.
"""

from __future__ import annotations

import contextlib
import http.server
import importlib.util
import os
import re
import shlex
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
INSTALL_ROOT = "/opt/lalisa"

LONG_RUNNING = {
    "lalisa-receiver.service": "lalisa.ingress",
    "lalisa-rasa@.service": "lalisa_rasa.worker",
    "lalisa-actions.service": "actions.serve",
    "lalisa-backoffice.service": "backoffice",
    "lalisa-outbox.service": "lalisa.notifications.worker",
}
ONESHOT = {
    "lalisa-migrate.service": "lalisa.migrate",
    "lalisa-backup.service": "lalisa.backup",
    "lalisa-retention.service": "lalisa.retention",
}
TIMERS = ("lalisa-backup.timer", "lalisa-retention.timer")
# Modules of the ingress work (webhook receiver, Rasa workers), written before it reaches main.
INGRESS_MODULES = {"lalisa.ingress", "lalisa_rasa.worker"}
# `make run` names the Rasa server by its CLI package; in production the workers run it.
RUN_PY_ALIASES = {"lalisa_rasa": "lalisa_rasa.worker"}
DEVELOPMENT_ONLY = {"sandbox"}

REQUIRED_SETTINGS = {
    "User": "lalisa",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "CapabilityBoundingSet": "",
    "EnvironmentFile": "/etc/lalisa/lalisa.env",
    "SystemCallFilter": "@system-service",
    "SystemCallErrorNumber": "EPERM",
    "UMask": "0077",
}
LOOPBACK = {"127.0.0.1", "localhost"}


@dataclass
class Unit:
    """A parsed unit file: every (key, value) of every section, repeated keys kept."""

    name: str
    sections: dict[str, list[tuple[str, str]]]

    def values(self, section: str, key: str) -> list[str]:
        return [value for k, value in self.sections.get(section, []) if k == key]

    def value(self, section: str, key: str) -> str | None:
        found = self.values(section, key)
        return found[-1] if found else None


def parse_unit(path: Path) -> Unit:
    """Reads a unit file the way systemd does (comments, sections, repeated keys)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path.name}: setting outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {line}"
        current.append((key.strip(), value.strip()))
    return Unit(path.name, sections)


def all_units() -> dict[str, Unit]:
    return {path.name: parse_unit(path) for path in sorted(UNITS.iterdir()) if path.is_file()}


def service_units() -> dict[str, Unit]:
    return {name: unit for name, unit in all_units().items() if name.endswith(".service")}


def exec_argv(command: str) -> list[str]:
    """The program's argv of an ExecStart line, without the ``env VAR=value`` prefix."""
    argv = shlex.split(command.lstrip("-@:+!"))
    if argv and argv[0] == "/usr/bin/env":
        argv = argv[1:]
        while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", argv[0]):
            argv = argv[1:]
    return argv


def exec_module(command: str) -> str:
    argv = exec_argv(command)
    assert "-m" in argv, f"ExecStart does not run a module: {command}"
    return argv[argv.index("-m") + 1]


def module_exists(module: str) -> bool:
    """True when the module is in the repository or in one of its two environments."""
    relative = Path(*module.split("."))
    source = ROOT / relative
    if source.with_suffix(".py").is_file() or (source / "__init__.py").is_file():
        return True
    return importlib.util.find_spec(module) is not None


def test_every_process_of_make_run_has_a_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    from scripts import run

    monkeypatch.setenv("RASA_API_TOKEN", "test-token")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "sandbox-access-token")
    started = set()
    for service in run.services():
        if service.name in DEVELOPMENT_ONLY:
            continue
        module = service.command[service.command.index("-m") + 1]
        started.add(RUN_PY_ALIASES.get(module, module))
    in_units = {
        exec_module(command)
        for unit in service_units().values()
        for command in unit.values("Service", "ExecStart")
    }
    assert started <= in_units, f"processes without a unit: {sorted(started - in_units)}"
    assert set(LONG_RUNNING.values()) <= in_units


def test_the_expected_units_exist_and_join_the_target() -> None:
    units = all_units()
    for name in (*LONG_RUNNING, *ONESHOT, "lalisa.target"):
        assert name in units, f"deploy/systemd/{name} is missing"
    for name in LONG_RUNNING:
        assert units[name].value("Install", "WantedBy") == "lalisa.target", name
        assert units[name].value("Service", "Restart") == "on-failure", name
    for timer in TIMERS:
        service = timer.replace(".timer", ".service")
        assert units[timer].value("Timer", "Unit") == service, timer
        assert units[timer].value("Timer", "OnCalendar"), timer
        assert units[timer].value("Timer", "Persistent") == "true", timer
        assert units[service].value("Service", "Type") == "oneshot", service


@pytest.mark.parametrize("name", sorted(LONG_RUNNING | ONESHOT))
def test_every_service_is_sandboxed(name: str) -> None:
    unit = service_units()[name]
    for key, expected in REQUIRED_SETTINGS.items():
        assert unit.value("Service", key) == expected, f"{name}: {key}={unit.value('Service', key)}"
    assert "/var/lib/lalisa" in " ".join(unit.values("Service", "ReadWritePaths")), name
    assert unit.value("Service", "AmbientCapabilities") == "", name
    # The profile is pinned on the command line, where EnvironmentFile cannot override it.
    for command in unit.values("Service", "ExecStart") + unit.values("Service", "ExecStartPre"):
        assert command.startswith(
            "/usr/bin/env LALISA_ENV=production LALISA_VAR_DIR=/var/lib/lalisa "
        ), f"{name}: {command}"
    assert unit.value("Service", "Environment") is not None
    environment = dict(
        item.split("=", 1) for item in unit.values("Service", "Environment") if "=" in item
    )
    # No .env is read besides the root-only EnvironmentFile.
    assert environment.get("LALISA_ENV_FILE") == "", name


@pytest.mark.parametrize("name", sorted(LONG_RUNNING | ONESHOT))
def test_exec_start_runs_a_module_of_the_repository(name: str) -> None:
    unit = service_units()[name]
    commands = unit.values("Service", "ExecStart")
    assert commands, f"{name} has no ExecStart"
    for command in commands + unit.values("Service", "ExecStartPre"):
        argv = exec_argv(command)
        interpreter = argv[0]
        assert interpreter in {
            f"{INSTALL_ROOT}/.venv/bin/python",
            f"{INSTALL_ROOT}/.venv-rasa/bin/python",
        }, f"{name}: {interpreter}"
        module = exec_module(command)
        expected_env = ".venv-rasa" if module.startswith("lalisa_rasa") else ".venv"
        assert interpreter == f"{INSTALL_ROOT}/{expected_env}/bin/python", (
            f"{name}: {module} must run in {expected_env}"
        )
        if module in INGRESS_MODULES and not module_exists(module):
            pytest.skip(
                f"{module} comes with the ingress work (webhook receiver and Rasa workers, "
                "issue 13 / branch ingress) and is not on this branch yet"
            )
        assert module_exists(module), f"{name}: module {module} not found"
        # Importable by the interpreter the unit names (this checkout's twin of /opt/lalisa).
        local_python = ROOT / interpreter.removeprefix(f"{INSTALL_ROOT}/")
        if local_python.exists():
            imported = subprocess.run(
                [str(local_python), "-c", f"import importlib; importlib.import_module({module!r})"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert imported.returncode == 0, f"{name}: {module}: {imported.stderr[-2000:]}"


@pytest.mark.parametrize(
    ("name", "setting", "expected"),
    [
        ("lalisa-backoffice.service", "ExecStart", "--host 127.0.0.1"),
        ("lalisa-actions.service", "Environment", "ACTION_HOST=127.0.0.1"),
        ("lalisa-rasa@.service", "Environment", "RASA_HOST=127.0.0.1"),
    ],
)
def test_listeners_bind_to_loopback(name: str, setting: str, expected: str) -> None:
    unit = service_units()[name]
    assert any(expected in value for value in unit.values("Service", setting)), name


@pytest.mark.parametrize(
    "name",
    [
        "lalisa-receiver.service",
        "lalisa-actions.service",
        "lalisa-backoffice.service",
        "lalisa-retention.service",
    ],
)
def test_processes_without_outbound_traffic_only_talk_to_this_machine(name: str) -> None:
    unit = service_units()[name]
    assert unit.value("Service", "IPAddressDeny") == "any", name
    assert unit.value("Service", "IPAddressAllow") == "localhost", name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    # Point the units at this checkout so verify can check that every ExecStart is executable.
    for path in UNITS.iterdir():
        text = path.read_text(encoding="utf-8").replace(INSTALL_ROOT, str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    template = tmp_path / "lalisa-rasa@.service"
    (tmp_path / "lalisa-rasa@0.service").write_text(template.read_text(encoding="utf-8"))
    template.unlink()
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    # Units it cannot resolve in this container (multi-user.target, postgresql.service) are fine.
    problems = [
        line
        for line in output.splitlines()
        if re.search(r"Unknown (key|section)|Failed to parse|not executable|Invalid", line)
    ]
    assert not problems, output
    assert result.returncode == 0, output


# --- reverse proxy ---------------------------------------------------------------------------


@dataclass
class Block:
    """One Caddyfile directive with its arguments and nested block."""

    tokens: list[str]
    children: list[Block]


def parse_caddyfile(text: str) -> list[Block]:
    """Parses the Caddyfile structure: one directive per line, ``{`` opens a nested block."""
    root: list[Block] = []
    stack: list[list[Block]] = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "}":
            stack.pop()
            continue
        opens = line.endswith("{")
        tokens = shlex.split(line[:-1] if opens else line)
        block = Block(tokens, [])
        stack[-1].append(block)
        if opens:
            stack.append(block.children)
    assert len(stack) == 1, "unbalanced braces in the Caddyfile"
    return root


def site() -> Block:
    blocks = parse_caddyfile(CADDYFILE.read_text(encoding="utf-8"))
    sites = [b for b in blocks if b.tokens]
    assert len(sites) == 1, "one site block expected"
    return sites[0]


def walk(blocks: list[Block]) -> list[Block]:
    found = []
    for block in blocks:
        found.append(block)
        found.extend(walk(block.children))
    return found


def handles(site_block: Block) -> list[tuple[list[str], Block]]:
    """Each ``handle`` with the paths it matches (named matchers resolved)."""
    matchers = {
        block.tokens[0]: block.tokens[2:]
        for block in site_block.children
        if block.tokens[0].startswith("@") and block.tokens[1] == "path"
    }
    result = []
    for block in site_block.children:
        if block.tokens[0] != "handle":
            continue
        args = block.tokens[1:]
        if not args:
            paths = ["*"]
        elif args[0].startswith("@"):
            paths = matchers[args[0]]
        else:
            paths = args
        result.append((paths, block))
    return result


def route(path: str) -> Block:
    """The handle Caddy picks for a path: exact paths, then longer prefixes, then the rest."""

    def rank(entry: tuple[list[str], Block]) -> tuple[int, int]:
        paths, _ = entry
        if paths == ["*"]:
            return (3, 0)
        if len(paths) == 1:
            return (0 if "*" not in paths[0] else 1, -len(paths[0]))
        return (2, 0)

    for paths, block in sorted(handles(site()), key=rank):
        for pattern in paths:
            regex = "^" + re.escape(pattern).replace(r"\*", ".*") + "$"
            if pattern == "*" or re.match(regex, path):
                return block
    raise AssertionError(f"no handle for {path}")


def upstream(block: Block) -> str | None:
    for child in walk(block.children):
        if child.tokens[0] == "reverse_proxy":
            return child.tokens[1]
        if child.tokens[0] == "respond":
            return None
    raise AssertionError(f"handle without reverse_proxy or respond: {block.tokens}")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/webhooks/whatsapp/webhook", "127.0.0.1:5004"),
        ("/webhooks/rest/webhook", None),
        ("/webhooks/whatsapp/webhook/extra", None),
        ("/webhooks/callback/webhook", None),
        ("/conversations/6281234567890/tracker/events", None),
        ("/model", None),
        ("/status", None),
        ("/version", None),
        ("/", "127.0.0.1:8000"),
        ("/login", "127.0.0.1:8000"),
        ("/aduan/LLS-2026-000001", "127.0.0.1:8000"),
    ],
)
def test_proxy_exposes_only_the_webhook_and_the_back_office(
    path: str, expected: str | None
) -> None:
    assert upstream(route(path)) == expected


def test_proxy_talks_only_to_the_receiver_and_the_back_office() -> None:
    upstreams = {
        block.tokens[1] for block in walk(site().children) if block.tokens[0] == "reverse_proxy"
    }
    assert upstreams == {"127.0.0.1:5004", "127.0.0.1:8000"}


def test_proxy_sends_hsts_and_limits_every_body() -> None:
    site_block = site()
    headers = [b for b in site_block.children if b.tokens[0] == "header"]
    assert headers, "no header block"
    hsts = [c for c in headers[0].children if c.tokens[0] == "Strict-Transport-Security"]
    assert hsts and re.search(r"max-age=(\d+)", hsts[0].tokens[1])
    assert int(re.search(r"max-age=(\d+)", hsts[0].tokens[1]).group(1)) >= 15552000  # type: ignore[union-attr]
    for paths, block in handles(site_block):
        if upstream(block) is None:
            continue
        limits = [c for c in walk(block.children) if c.tokens[:1] == ["max_size"]]
        assert limits, f"no request_body max_size for {paths}"
    # Caddy serves the site over HTTPS (automatic certificates) only when it is named by host.
    assert re.fullmatch(r"[a-z0-9.-]+\.[a-z]+", site_block.tokens[0]), site_block.tokens
    global_options = parse_caddyfile(CADDYFILE.read_text(encoding="utf-8"))[0]
    assert global_options.tokens == [] and ["admin", "off"] in [
        c.tokens for c in global_options.children
    ]


# --- logs ---------------------------------------------------------------------------------------

SOURCE_PACKAGES = ("lalisa", "lalisa_common", "lalisa_rasa", "backoffice", "actions", "sandbox")


def test_processes_log_to_the_journal_only() -> None:
    """No process writes log files, so journald (not logrotate) is what bounds the logs."""
    for package in SOURCE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            assert not re.search(r"\b(Rotating|TimedRotating|Watched)?FileHandler\b", source), path
            assert "logging.basicConfig(filename" not in source, path
    assert "FileHandler" not in (ROOT / "alembic.ini").read_text(encoding="utf-8")


def test_journald_settings_bound_size_and_age() -> None:
    unit = parse_unit(ROOT / "deploy" / "journald" / "lalisa.conf")
    assert unit.value("Journal", "Storage") == "persistent"
    assert re.fullmatch(r"\d+[KMG]", unit.value("Journal", "SystemMaxUse") or "")
    retention = unit.value("Journal", "MaxRetentionSec") or ""
    match = re.fullmatch(r"(\d+)day", retention)
    assert match and 1 <= int(match.group(1)) <= 90, retention


def test_run_helper_uses_the_units_configuration() -> None:
    helper = ROOT / "deploy" / "lalisa-run.sh"
    assert helper.stat().st_mode & 0o111, "deploy/lalisa-run.sh must be executable"
    subprocess.run(["bash", "-n", str(helper)], check=True, timeout=30)
    source = helper.read_text(encoding="utf-8")
    backoffice = service_units()["lalisa-backoffice.service"]
    assert f"EnvironmentFile={backoffice.value('Service', 'EnvironmentFile')}" in source
    assert f"--uid={backoffice.value('Service', 'User')}" in source
    (command,) = backoffice.values("Service", "ExecStart")
    pinned = command.split(f"{INSTALL_ROOT}/.venv/bin/python")[0].strip()
    assert pinned in source


# --- the proxy, live (when Caddy is installed: Debian package `caddy`, or CADDY_BIN) --------------


def _caddy_binary() -> str | None:
    configured = os.environ.get("CADDY_BIN", "")
    return configured if configured and Path(configured).is_file() else shutil.which("caddy")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _NamedUpstream(http.server.BaseHTTPRequestHandler):
    """Answers with the server's name, so the test sees where the proxy sent a request."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length)
        self.server.received.append(len(received))  # type: ignore[attr-defined]
        body = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # The proxy cutting an oversized body breaks the pipe; that is the behaviour under test.
        return


@contextlib.contextmanager
def _upstream(name: str) -> Iterator[http.server.ThreadingHTTPServer]:
    server = _QuietServer(("127.0.0.1", 0), _NamedUpstream)
    server.name = name  # type: ignore[attr-defined]
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _request(url: str, data: bytes | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), dict(error.headers)


@pytest.mark.skipif(_caddy_binary() is None, reason="Caddy not installed (apt install caddy)")
def test_caddy_routes_only_the_webhook_and_the_back_office(tmp_path: Path) -> None:
    caddy = _caddy_binary()
    assert caddy is not None
    port = _free_port()
    with _upstream("receiver") as receiver, _upstream("backoffice") as backoffice:
        # The real file, served over plain http on a free port (no certificate in a test).
        config = (
            CADDYFILE.read_text(encoding="utf-8")
            .replace("lalisa.example.go.id {", f"http://127.0.0.1:{port} {{")
            .replace("127.0.0.1:5004", f"127.0.0.1:{receiver.server_address[1]}")
            .replace("127.0.0.1:8000", f"127.0.0.1:{backoffice.server_address[1]}")
        )
        caddyfile = tmp_path / "Caddyfile"
        caddyfile.write_text(config, encoding="utf-8")
        env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
        env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
        process = subprocess.Popen(
            [caddy, "run", "--adapter", "caddyfile", "--config", str(caddyfile)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    _request(base + "/health")
                    break
                except OSError:
                    assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
                    time.sleep(0.2)
            status, body, headers = _request(base + "/webhooks/whatsapp/webhook?hub.mode=x")
            assert (status, body) == (200, "receiver")
            assert "max-age=31536000" in headers.get("Strict-Transport-Security", "")
            assert "Server" not in headers
            assert _request(base + "/webhooks/whatsapp/webhook", b"{}")[:2] == (200, "receiver")
            assert _request(base + "/aduan/LLS-2026-000001")[:2] == (200, "backoffice")
            for path in (
                "/webhooks/rest/webhook",
                "/webhooks/whatsapp/webhook/x",
                "/conversations/6281234567890/tracker/events",
                "/model",
                "/status",
            ):
                assert _request(base + path, b"{}")[0] == 404, path
            # Meta's payloads are at most 3 MB; a larger body never reaches the receiver whole
            # (Caddy 2.6 answers 502 once the limit cuts the stream, later versions 413).
            # Caddy may also reset the connection while the client is still sending.
            big = b"x" * (4 * 1024 * 1024)
            try:
                refused: int | None = _request(base + "/webhooks/whatsapp/webhook", big)[0]
            except OSError:  # urllib's URLError around the reset
                refused = None
            assert refused in (413, 502, None)
            assert max(receiver.received) < 3_000_001  # type: ignore[attr-defined]
        finally:
            process.terminate()
            process.wait(timeout=15)


def test_every_unit_waits_for_the_preflight_check() -> None:
    migrate = service_units()["lalisa-migrate.service"]
    (check,) = migrate.values("Service", "ExecStartPre")
    assert exec_module(check) == "lalisa.preflight"
    for name in set(LONG_RUNNING) | {"lalisa-retention.service"}:
        unit = service_units()[name]
        assert "lalisa-migrate.service" in unit.values("Unit", "Requires"), name
        assert any("lalisa-migrate.service" in v for v in unit.values("Unit", "After")), name


# --- the operator manual follows deploy/ ---------------------------------------------------------


def test_manual_describes_every_deployment_file_and_default() -> None:
    from lalisa import backup
    from lalisa.core.settings import RetentionSettings

    manual = (ROOT / "docs" / "petunjuk-teknis.md").read_text(encoding="utf-8")
    chapter = manual[manual.index("### 2.10 ") : manual.index("## 3. ")]
    for path in (ROOT / "deploy").rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(ROOT / "deploy").as_posix()
        if relative.endswith(".timer"):
            relative = relative.removesuffix(".timer") + ".service` + `.timer"
        assert f"`{relative}`" in chapter, f"deploy/{relative} is not in the manual (2.10)"
    for unit in re.findall(r"\blalisa-[a-z]+(?:@)?(?:\.service|\.timer)?\b", chapter):
        name = unit if "." in unit else f"{unit}.service"
        if name.endswith("@.service") or name == "lalisa-run.service":
            continue
        assert (UNITS / name).exists() or (UNITS / name.replace(".service", "")).exists(), name
    limits = RetentionSettings.from_env({})
    defaults = {
        "LALISA_TRACKER_RETENTION_DAYS": limits.tracker_days,
        "LALISA_INBOUND_RETENTION_DAYS": limits.inbound_days,
        "LALISA_OUTBOUND_RETENTION_DAYS": limits.outbound_days,
    }
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name, days in defaults.items():
        assert re.search(rf"\| `{name}` \|[^\n]*\| `{days}` hari \|", chapter), name
        assert f"\n{name}={days}\n" in example, name
    assert f"**ditambah {backup.DEFAULT_COUNTER_MARGIN}**" in chapter
    assert f"lebih tua dari {backup.DEFAULT_KEEP_DAYS} hari" in chapter
    backup_unit = service_units()["lalisa-backup.service"]
    assert (
        f"--keep-days {backup.DEFAULT_KEEP_DAYS}" in backup_unit.values("Service", "ExecStart")[0]
    )
