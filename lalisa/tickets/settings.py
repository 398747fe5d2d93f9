"""Settings of the ticket workflow read from the environment: SLA deadlines, public link base.

The back office can override the SLA deadlines (:mod:`lalisa.runtime_settings`); these are
the defaults it starts from.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lalisa.core.settings import SettingsError
from lalisa_common.env import read_env

_SLA_VARIABLES = {
    "first_response_days": "LALISA_SLA_FIRST_RESPONSE_DAYS",
    "completion_days": "LALISA_SLA_COMPLETION_DAYS",
    "field_check_days": "LALISA_SLA_FIELD_CHECK_DAYS",
    "max_days": "LALISA_SLA_MAX_DAYS",
}


@dataclass(frozen=True)
class SlaSettings:
    """Service-level deadlines, in calendar days from receipt (defaults: SP4N-LAPOR!).

    Attributes:
        first_response_days: First response, i.e. any action after *Baru*
            (``LALISA_SLA_FIRST_RESPONSE_DAYS``, 3).
        completion_days: Closing without a field check (``LALISA_SLA_COMPLETION_DAYS``, 5).
        field_check_days: Closing when the TRC was dispatched
            (``LALISA_SLA_FIELD_CHECK_DAYS``, 14).
        max_days: Absolute upper limit (``LALISA_SLA_MAX_DAYS``, 60).
        internal_target_days: Internal target for the result: closed by the end of the day
            the work starts (0), or that many days later; ``None`` turns it off
            (``LALISA_SLA_INTERNAL_TARGET_DAYS``, 0; ``off`` to disable).
    """

    first_response_days: int = 3
    completion_days: int = 5
    field_check_days: int = 14
    max_days: int = 60
    internal_target_days: int | None = 0

    def __post_init__(self) -> None:
        """Refuse deadlines that contradict each other."""
        for name in _SLA_VARIABLES:
            if getattr(self, name) < 1:
                raise SettingsError(f"{_SLA_VARIABLES[name]} must be at least 1")
        if not self.completion_days <= self.field_check_days <= self.max_days:
            raise SettingsError(
                "SLA deadlines must satisfy completion <= field check <= maximum days"
            )
        if self.internal_target_days is not None and self.internal_target_days < 0:
            raise SettingsError("LALISA_SLA_INTERNAL_TARGET_DAYS must be 0 or more, or off")


def load_sla_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | Literal["default"] | None = "default",
) -> SlaSettings:
    """Read the SLA deadlines from the environment and ``.env`` (process environment wins).

    Args:
        environ: Process environment; defaults to :data:`os.environ`.
        env_file: ``.env`` path, ``None`` for none, or ``"default"``.

    Returns:
        The settings.

    Raises:
        SettingsError: A value is not a whole number or the deadlines contradict each other.
    """
    env = read_env(environ, env_file)
    values: dict[str, Any] = {}
    for field_name, variable in _SLA_VARIABLES.items():
        raw = (env.get(variable) or "").strip()
        if raw:
            try:
                values[field_name] = int(raw)
            except ValueError as exc:
                raise SettingsError(f"{variable} must be a whole number, got {raw!r}") from exc
    raw_internal = (env.get("LALISA_SLA_INTERNAL_TARGET_DAYS") or "").strip().lower()
    if raw_internal in {"off", "no", "false", "-"}:
        values["internal_target_days"] = None
    elif raw_internal:
        try:
            values["internal_target_days"] = int(raw_internal)
        except ValueError as exc:
            raise SettingsError(
                f"LALISA_SLA_INTERNAL_TARGET_DAYS must be a whole number or off, "
                f"got {raw_internal!r}"
            ) from exc
    return SlaSettings(**values)


@functools.lru_cache(maxsize=1)
def get_sla_settings() -> SlaSettings:
    """Return the process-wide SLA settings (read once)."""
    return load_sla_settings()


@functools.lru_cache(maxsize=1)
def backoffice_public_url() -> str | None:
    """Return ``BACKOFFICE_PUBLIC_URL`` (the address officers open, for links in messages).

    Returns:
        The URL without a trailing slash, or ``None`` when not configured (the back office
        then uses the address of the request).
    """
    value = (read_env(None, "default").get("BACKOFFICE_PUBLIC_URL") or "").strip()
    return value.rstrip("/") or None


def reset_workflow_settings_cache() -> None:
    """Forget cached workflow settings (tests)."""
    get_sla_settings.cache_clear()
    backoffice_public_url.cache_clear()
