"""The profile check outside ``make run``: ``python -m lalisa.preflight``.

``make run`` refuses unsafe settings before it starts anything (``scripts/guard.py``) and makes a
per-run ``RASA_API_TOKEN`` and ``LALISA_ACTION_SECRET`` when they are empty. Under systemd no
launcher does either, so ``lalisa-migrate.service`` runs this check first and every other unit
requires that one: an unsafe production configuration starts nothing, and says why. The checks
are :func:`lalisa_common.profile.startup_problems`; production under systemd also needs the two
shared secrets set, because no process would generate them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import yaml

from lalisa_common.env import REPO_ROOT, env_value, read_env
from lalisa_common.profile import (
    PROFILE_VARIABLE,
    Problem,
    Profile,
    ProfileError,
    profile_of,
    startup_problems,
)

SHARED_SECRETS: Final = {
    "RASA_API_TOKEN": "token API Rasa (back office dan outbox worker memakainya)",
    "LALISA_ACTION_SECRET": "rahasia bersama server Rasa dan server aksi",
}


def credentials_channels(path: Path) -> list[str]:
    """The channel names (top-level keys) of a Rasa credentials file; none when it is absent."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [str(key) for key in loaded] if isinstance(loaded, dict) else []


def preflight_problems(env: Mapping[str, str | None], channels: Iterable[str]) -> list[Problem]:
    """Every reason the services must not start with this configuration."""
    problems = startup_problems(env, channels)
    try:
        production = profile_of(env) is Profile.PRODUCTION
    except ProfileError:
        return problems
    if production:
        for name, what in SHARED_SECRETS.items():
            if not env_value(env, name).strip():
                problems.append(
                    Problem(name, f"{what} wajib diisi di production (tidak dibuat otomatis).")
                )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Prints the problems and exits 1, or says the profile may start."""
    parser = argparse.ArgumentParser(prog="python -m lalisa.preflight", description=__doc__)
    parser.add_argument(
        "--credentials",
        type=Path,
        default=REPO_ROOT / "credentials.yml",
        help="the credentials file Rasa loads (default: credentials.yml of the repository)",
    )
    args = parser.parse_args(argv)
    env = read_env()
    profile = env_value(env, PROFILE_VARIABLE, Profile.DEVELOPMENT.value)
    problems = preflight_problems(env, credentials_channels(args.credentials))
    if problems:
        print(
            f"La-Lisa tidak dijalankan ({PROFILE_VARIABLE}={profile}): "
            f"{len(problems)} pengaturan tidak aman atau tidak lengkap:",
            file=sys.stderr,
        )
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{PROFILE_VARIABLE}={profile}: pengaturan aman untuk dijalankan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
