"""What an attacker on the network sees: this machine's addresses and its listening sockets."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
from pathlib import Path


def non_loopback_addresses() -> list[str]:
    """This machine's own IPv4/IPv6 addresses other than loopback (may be empty offline)."""
    found: set[str] = set()
    try:
        output = subprocess.run(
            ["hostname", "-I"], capture_output=True, text=True, timeout=10
        ).stdout
        found.update(output.split())
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    except OSError:
        pass
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        # A UDP "connect" sends nothing; it only asks the kernel which source address it uses.
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                found.add(str(sock.getsockname()[0]))
        except OSError:
            pass
    addresses = []
    for address in found:
        try:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            continue
        if not parsed.is_loopback and not parsed.is_unspecified and not parsed.is_link_local:
            addresses.append(str(parsed))
    return sorted(addresses)


def _decode(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return f"{ipaddress.IPv4Address(raw[::-1])}:{int(port, 16)}"
    # /proc/net/tcp6 stores the address as four little-endian 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return f"[{ipaddress.IPv6Address(words)}]:{int(port, 16)}"


def listening(port: int) -> list[str]:
    """Local addresses (``host:port``) with a TCP socket listening on ``port``."""
    found = []
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.append(_decode(fields[1]))
    return found


def reachable(address: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to ``address:port`` is accepted."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((address, port)) == 0
