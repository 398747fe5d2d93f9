"""``python -m lalisa.preflight``: what lalisa-migrate.service checks before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from lalisa.preflight import credentials_channels, preflight_problems

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 40

SAFE_PRODUCTION = {
    "LALISA_ENV": "production",
    "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
    "WHATSAPP_VERIFY_TOKEN": "verify-" + SECRET,
    "WHATSAPP_APP_SECRET": "app-" + SECRET,
    "WHATSAPP_ACCESS_TOKEN": "access-" + SECRET,
    "WHATSAPP_PHONE_NUMBER_ID": "123456789012345",
    "RASA_API_TOKEN": "api-" + SECRET,
    "LALISA_ACTION_SECRET": "action-" + SECRET,
}


def test_the_repository_credentials_pass_in_production() -> None:
    channels = credentials_channels(ROOT / "credentials.yml")
    # The WhatsApp webhook lives in the receiver (lalisa.ingress); Rasa keeps only the REST channel,
    # behind its token in production.
    assert channels == ["lalisa_rasa.channels.rest.TokenRestInput"]
    assert preflight_problems(SAFE_PRODUCTION, channels) == []


def test_production_needs_the_shared_secrets_no_launcher_generates() -> None:
    env = {**SAFE_PRODUCTION, "RASA_API_TOKEN": "", "LALISA_ACTION_SECRET": " "}
    found = " ".join(str(p) for p in preflight_problems(env, []))
    assert "RASA_API_TOKEN" in found and "LALISA_ACTION_SECRET" in found
    # Development keeps `make run`'s convenience: the secrets are made per run there.
    assert preflight_problems({**env, "LALISA_ENV": "development"}, []) == []


def test_unsafe_production_settings_are_all_reported() -> None:
    env = {
        **SAFE_PRODUCTION,
        "LALISA_IDENTITY_KEY": "",
        "WHATSAPP_APP_SECRET": "sandbox-app-secret",
        "BACKOFFICE_INSECURE_COOKIES": "1",
        "RASA_HOST": "0.0.0.0",
    }
    found = " ".join(str(p) for p in preflight_problems(env, ["rest"]))
    for name in (
        "LALISA_IDENTITY_KEY",
        "WHATSAPP_APP_SECRET",
        "BACKOFFICE_INSECURE_COOKIES",
        "RASA_HOST",
        "credentials.yml",
    ):
        assert name in found, name


def test_missing_credentials_file_has_no_channels(tmp_path: Path) -> None:
    assert credentials_channels(tmp_path / "absent.yml") == []


def run_preflight(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "LALISA_"))}
    return subprocess.run(
        [sys.executable, "-m", "lalisa.preflight"],
        cwd=ROOT,
        env={**base, "LALISA_ENV_FILE": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_command_line_refuses_with_the_reasons_and_passes_when_safe() -> None:
    refused = run_preflight({**SAFE_PRODUCTION, "LALISA_IDENTITY_KEY": ""})
    assert refused.returncode == 1
    assert "LALISA_IDENTITY_KEY" in refused.stderr
    assert "tidak dijalankan" in refused.stderr
    passed = run_preflight(SAFE_PRODUCTION)
    assert passed.returncode == 0, passed.stderr
    assert "LALISA_ENV=production" in passed.stdout
