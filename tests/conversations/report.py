"""Figures of a run: task success, turns, repeated questions, off-topic false starts; the gate.

The dev half is reported persona by persona (its failures are what the engineers fix); the
held-out half only as counts, so that nobody tunes the assistant to its personas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tests.conversations.citizen import LOOP_GUARD_RUN, Record
from tests.conversations.judge import StoredTicket, Verdict
from tests.conversations.personas import Persona

MIN_SUCCESS = 0.95
"""The gate: task success over all personas must reach this."""
MAX_LOOP_HITS = 1
"""The gate: no persona may hit the loop guard more than this many times."""


@dataclass(frozen=True)
class Result:
    """One persona's conversation and its verdict."""

    persona: Persona
    record: Record
    verdict: Verdict
    tickets: tuple[StoredTicket, ...]
    seconds: float


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(results: Sequence[Result]) -> dict[str, Any]:
    """The figures of a group of conversations (a half, or all)."""
    complaints = [r for r in results if not r.persona.off_topic]
    off_topic = [r for r in results if r.persona.off_topic]
    filed = [r for r in complaints if r.tickets]
    plain = [r for r in filed if not r.persona.agenda]
    successes = sum(r.verdict.success for r in results)
    false_starts = sum(not r.verdict.success for r in off_topic)
    return {
        "personas": len(results),
        "successes": successes,
        "task_success": _rate(successes, len(results)),
        "complaint_personas": len(complaints),
        "complaint_successes": sum(r.verdict.success for r in complaints),
        "complaints_filed": len(filed),
        "mean_user_turns_per_filed_complaint": (
            round(sum(r.record.user_turns for r in filed) / len(filed), 2) if filed else None
        ),
        "mean_user_turns_without_agenda": (
            round(sum(r.record.user_turns for r in plain) / len(plain), 2) if plain else None
        ),
        "max_same_question_in_a_row": max((r.record.longest_run for r in results), default=0),
        "personas_with_loop_guard_hit": sum(r.record.loop_hits > 0 for r in results),
        "personas_over_loop_limit": sum(r.record.loop_hits > MAX_LOOP_HITS for r in results),
        "reports_cancelled_unasked": sum(r.record.cancelled for r in complaints),
        "off_topic_personas": len(off_topic),
        "off_topic_false_starts": false_starts,
        "off_topic_false_start_rate": _rate(false_starts, len(off_topic)),
    }


def failure_modes(results: Iterable[Result]) -> dict[str, list[str]]:
    """Persona ids by failure mode, most frequent mode first."""
    modes: dict[str, list[str]] = {}
    for result in results:
        for mode in result.verdict.failures:
            modes.setdefault(mode, []).append(result.persona.id)
    return dict(sorted(modes.items(), key=lambda item: (-len(item[1]), item[0])))


def gate(overall: dict[str, Any]) -> list[str]:
    """Why the run fails the gate (empty: it passes)."""
    problems = []
    success = overall["task_success"] or 0.0
    if success < MIN_SUCCESS:
        problems.append(f"task success {success:.3f} < {MIN_SUCCESS}")
    if overall["personas_over_loop_limit"]:
        problems.append(
            f"{overall['personas_over_loop_limit']} persona(s) hit the loop guard (a question "
            f"asked {LOOP_GUARD_RUN}+ times in a row) more than {MAX_LOOP_HITS} time(s)"
        )
    return problems


def persona_counts(personas: Sequence[Persona]) -> dict[str, Any]:
    """How the persona set is made up: by half, style, channel and expected category."""

    def count(values: Iterable[str]) -> dict[str, int]:
        return dict(sorted(Counter(values).items()))

    return {
        "total": len(personas),
        "by_half": count(p.half for p in personas),
        "by_style": count(p.style for p in personas),
        "by_channel": count(p.channel for p in personas),
        "off_topic": sum(p.off_topic for p in personas),
        "by_category": count(p.expect.categories[0] for p in personas if not p.off_topic),
        "by_kecamatan": count(p.expect.kecamatan or "" for p in personas if not p.off_topic),
        "with_agenda": sum(bool(p.agenda) for p in personas),
    }


def persona_line(result: Result) -> dict[str, Any]:
    """One dev persona's outcome for the JSON report."""
    return {
        "id": result.persona.id,
        "style": result.persona.style,
        "channel": result.persona.channel,
        "success": result.verdict.success,
        "failures": list(result.verdict.failures),
        "user_turns": result.record.user_turns,
        "longest_run": result.record.longest_run,
        "loop_hits": result.record.loop_hits,
        "end": result.record.end_reason,
        "seconds": round(result.seconds, 1),
        "tickets": [t.__dict__ for t in result.tickets],
    }


def _line(label: str, f: dict[str, Any]) -> str:
    def num(value: Any, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    return (
        f"{label:<8} success {f['successes']}/{f['personas']} = {num(f['task_success'])}"
        f" | filed {f['complaints_filed']}/{f['complaint_personas']}"
        f" | turns/filed {num(f['mean_user_turns_per_filed_complaint'], 2)}"
        f" (no agenda {num(f['mean_user_turns_without_agenda'], 2)})"
        f" | max same question in a row {f['max_same_question_in_a_row']}"
        f" | loop-guard hits {f['personas_with_loop_guard_hit']} personas"
        f" ({f['personas_over_loop_limit']} more than once)"
        f" | cancelled unasked {f['reports_cancelled_unasked']}"
        f" | off-topic false starts {f['off_topic_false_starts']}/{f['off_topic_personas']}"
        f" = {num(f['off_topic_false_start_rate'])}"
    )


def render(report: dict[str, Any], dev: Sequence[Result]) -> str:
    """The printed summary: counts, figures per half, and the dev half's failures."""
    counts = report["personas"]
    lines = [
        f"personas: {counts['total']} {counts['by_half']}; styles {counts['by_style']}; "
        f"channels {counts['by_channel']}; off-topic {counts['off_topic']}; "
        f"with an agenda {counts['with_agenda']}",
        f"categories: {counts['by_category']}",
        f"kecamatan: {counts['by_kecamatan']}",
    ]
    for half, figs in report["halves"].items():
        lines.append(_line(half, figs))
    lines.append(_line("overall", report["overall"]))
    modes = failure_modes(dev)
    if modes:
        lines.append("dev failures by mode:")
        lines += [f"  {len(ids):>3}  {mode}: {', '.join(ids)}" for mode, ids in modes.items()]
    problems = report["gate"]["problems"]
    lines.append("gate: " + ("PASS" if not problems else "FAIL: " + "; ".join(problems)))
    return "\n".join(lines)


def transcript(result: Result) -> str:
    """A dev conversation as text, with its verdict, for the engineers."""
    head = [
        f"persona {result.persona.id} ({result.persona.source}, {result.persona.style}, "
        f"{result.persona.channel})",
        f"verdict: {'success' if result.verdict.success else ', '.join(result.verdict.failures)}",
        f"end: {result.record.end_reason}; user turns {result.record.user_turns}; "
        f"questions {result.record.questions}",
        f"tickets: {[t.__dict__ for t in result.tickets]}",
        "",
    ]
    return "\n".join(head + result.record.transcript) + "\n"
