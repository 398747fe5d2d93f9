"""`make run`'s profile gate: refuses with every problem listed, never patches real credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.guard import credentials_channels, prepare_environment

REAL_WHATSAPP = {
    "WHATSAPP_VERIFY_TOKEN": "verify-9f2c1e7a",
    "WHATSAPP_APP_SECRET": "0123456789abcdef0123456789abcdef",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-real-looking-token",
    "WHATSAPP_PHONE_NUMBER_ID": "109876543210987",
}


def test_development_without_whatsapp_runs_the_sandbox_with_fresh_secrets() -> None:
    env: dict[str, str] = {"SANDBOX_PORT": "5999"}
    assert prepare_environment(env)
    assert env["WHATSAPP_ACCESS_TOKEN"] == "sandbox-access-token"
    assert env["WHATSAPP_API_BASE_URL"] == "http://127.0.0.1:5999"
    assert len(env["RASA_API_TOKEN"]) >= 32
    assert len(env["LALISA_ACTION_SECRET"]) >= 32
    assert env["RASA_API_TOKEN"] != env["LALISA_ACTION_SECRET"]
    assert "BACKOFFICE_INSECURE_COOKIES" not in env


def test_real_credentials_are_kept_and_operator_secrets_too() -> None:
    env = {**REAL_WHATSAPP, "RASA_API_TOKEN": "x" * 40}
    assert prepare_environment(env)
    assert {name: env[name] for name in REAL_WHATSAPP} == REAL_WHATSAPP
    assert env["RASA_API_TOKEN"] == "x" * 40
    assert "WHATSAPP_API_BASE_URL" not in env


def test_partial_credentials_are_refused_with_the_missing_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"WHATSAPP_APP_SECRET": "real-app-secret-value"}
    assert not prepare_environment(env)
    assert env == {"WHATSAPP_APP_SECRET": "real-app-secret-value"}
    err = capsys.readouterr().err
    assert "WHATSAPP_VERIFY_TOKEN, WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID" in err
    assert "LALISA_ENV=development" in err


def test_production_refusal_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("# channels\nrest:\nlalisa_rasa.channels.whatsapp.WhatsAppInput:\n")
    env = {"LALISA_ENV": "production", "BACKOFFICE_INSECURE_COOKIES": "1", "RASA_HOST": "0.0.0.0"}
    assert not prepare_environment(env, credentials)
    err = capsys.readouterr().err
    for name in (
        "LALISA_IDENTITY_KEY",
        "WHATSAPP_ACCESS_TOKEN",
        "BACKOFFICE_INSECURE_COOKIES",
        "RASA_HOST",
        "credentials.yml",
    ):
        assert name in err
    assert "LALISA_ENV=production" in err


def test_credentials_channels_reads_top_level_keys(tmp_path: Path) -> None:
    path = tmp_path / "credentials.yml"
    path.write_text("# rest: commented\nrest:\n  a: 1\nlalisa_rasa.channels.rest.TokenRestInput:\n")
    assert credentials_channels(path) == ["rest", "lalisa_rasa.channels.rest.TokenRestInput"]
    assert credentials_channels(tmp_path / "missing.yml") == []
