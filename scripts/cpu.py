"""CPU seconds spent by processes, read from ``/proc`` (Linux; standard library only).

The benchmarks run on a machine shared with other work, so wall-clock latencies say as much
about the neighbours as about the stack. CPU time does not: what a process consumed is the
same whether it got a core at once or waited for one. :class:`CpuAccount` samples the CPU
time of named process trees (a process, its live descendants and the children it has waited
for) and reports the difference between two samples, e.g. per message answered. Used by
``scripts/bench.py`` (every process of a stack) and ``scripts/profile_message.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int, *, waited_children: bool = True) -> float | None:
    """CPU seconds of ``pid`` (utime + stime, + cutime + cstime of reaped children), or None.

    Args:
        pid: The process.
        waited_children: Include the CPU of children the process has reaped.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    # Fields 14-17 of proc(5) (utime stime cutime cstime) are 11-14 after the name.
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    ticks = utime + stime + ((cutime + cstime) if waited_children else 0)
    return ticks / TICKS


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid``."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                children = [int(p) for p in task.read_text().split()]
            except OSError:
                continue
            found.extend(children)
            pending.extend(children)
    return found


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds by pid of ``pid`` and its live descendants (children it reaped included)."""
    seconds: dict[int, float] = {}
    for member in (pid, *descendants(pid)):
        value = process_cpu_seconds(member)
        if value is not None:
            seconds[member] = value
    return seconds


@dataclass
class CpuAccount:
    """CPU time of named process trees between :meth:`start` and :meth:`stop`.

    A process that appears between the samples counts from zero; one that disappeared before
    the second sample is lost unless its parent reaped it (then its parent's ``cutime`` has
    it). Extra pids (e.g. database server backends) can be given per name.
    """

    pids: Mapping[str, int]
    extra: Mapping[str, Iterable[int]] = field(default_factory=dict)
    _before: dict[str, dict[int, float]] = field(default_factory=dict, repr=False)

    def sample(self) -> dict[str, dict[int, float]]:
        """CPU seconds by pid, per name."""
        sample = {name: tree_cpu_seconds(pid) for name, pid in self.pids.items()}
        for name, pids in self.extra.items():
            sample[name] = {
                pid: value
                for pid in pids
                if (value := process_cpu_seconds(pid, waited_children=False)) is not None
            }
        return sample

    def start(self) -> None:
        """Takes the first sample."""
        self._before = self.sample()

    def stop(self) -> dict[str, float]:
        """CPU seconds per name since :meth:`start`."""
        after = self.sample()
        spent: dict[str, float] = {}
        for name, pids in after.items():
            before = self._before.get(name, {})
            spent[name] = sum(max(0.0, value - before.get(pid, 0.0)) for pid, value in pids.items())
        return spent


def per_message_ms(spent: Mapping[str, float], messages: int) -> dict[str, float]:
    """CPU milliseconds per message by name, plus ``total``; NaN without messages."""
    if messages <= 0:
        return {**{name: float("nan") for name in spent}, "total": float("nan")}
    table = {name: 1000 * seconds / messages for name, seconds in spent.items()}
    table["total"] = sum(table.values())
    return table


def capacity_msg_per_s(total_cpu_ms: float, cores: float = 2.0) -> float:
    """Messages per second ``cores`` idle cores could serve at ``total_cpu_ms`` per message."""
    if not total_cpu_ms or total_cpu_ms != total_cpu_ms:
        return float("nan")
    return cores * 1000.0 / total_cpu_ms
