"""Settings: defaults, .env handling, validation and the development identity key."""

from __future__ import annotations

import logging
import stat
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lalisa.core.settings import (
    DEFAULT_OFFICE_HOURS,
    SettingsError,
    get_settings,
    load_settings,
    reset_settings_cache,
)
from lalisa_common.env import REPO_ROOT

KEY = Fernet.generate_key().decode()


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"LALISA_IDENTITY_KEY": KEY, "LALISA_VAR_DIR": str(tmp_path)}, env_file=None
    )
    assert settings.database.url == f"sqlite:///{tmp_path / 'lalisa.db'}"
    assert settings.database.redis_url is None
    assert settings.office.timezone == "Asia/Makassar"
    assert settings.office.tz.key == "Asia/Makassar"
    assert settings.office.hours == DEFAULT_OFFICE_HOURS
    assert settings.office.extra_holidays == ()
    assert settings.office.address == "Kantor Satpol PP Kabupaten Balangan, Paringin"
    assert settings.office.phone == ""
    assert settings.office.programs == ""
    assert settings.storage.var_dir == tmp_path
    assert settings.storage.media_dir == tmp_path / "media"
    assert settings.whatsapp.api_base_url == "https://graph.facebook.com"
    assert (settings.ports.rasa, settings.ports.action, settings.backoffice.port) == (
        5005,
        5055,
        8000,
    )
    assert not settings.identity.key_is_generated


def test_default_var_dir_is_in_the_repository() -> None:
    settings = load_settings(environ={"LALISA_IDENTITY_KEY": KEY}, env_file=None)
    assert settings.storage.var_dir == REPO_ROOT / "var"
    assert settings.database.url == f"sqlite:///{REPO_ROOT / 'var' / 'lalisa.db'}"


def test_process_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "LALISA_OFFICE_PHONE=0526-111\n"
        "REDIS_URL=redis://from-file:6379/0\n"
        f"LALISA_IDENTITY_KEY={KEY}\n"
        "RASA_PORT=6000\n",
        encoding="utf-8",
    )
    settings = load_settings(
        environ={"LALISA_OFFICE_PHONE": "0526-222", "LALISA_VAR_DIR": str(tmp_path)},
        env_file=env_file,
    )
    assert settings.office.phone == "0526-222"
    assert settings.database.redis_url == "redis://from-file:6379/0"
    assert settings.identity.key == KEY
    assert settings.ports.rasa == 6000


def test_env_file_from_lalisa_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("LALISA_PROGRAMS=Razia PKL tiap Jumat\n", encoding="utf-8")
    base = {"LALISA_IDENTITY_KEY": KEY, "LALISA_VAR_DIR": str(tmp_path)}
    settings = load_settings(environ={**base, "LALISA_ENV_FILE": str(env_file)})
    assert settings.office.programs == "Razia PKL tiap Jumat"
    assert load_settings(environ={**base, "LALISA_ENV_FILE": ""}).office.programs == ""


def test_values(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "LALISA_IDENTITY_KEY": KEY,
            "LALISA_VAR_DIR": str(tmp_path),
            "LALISA_MEDIA_DIR": str(tmp_path / "m"),
            "DATABASE_URL": "postgresql://u:pw-9f8e7d@db:5432/lalisa",
            "LALISA_EXTRA_HOLIDAYS": "2026-12-31, 2026-06-02,,",
            "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9999/",
            "WHATSAPP_ACCESS_TOKEN": "token-123",
            "BACKOFFICE_PORT": "8080",
        },
        env_file=None,
    )
    assert settings.database.url == "postgresql://u:pw-9f8e7d@db:5432/lalisa"
    assert settings.storage.media_dir == tmp_path / "m"
    assert settings.office.extra_holidays == (date(2026, 6, 2), date(2026, 12, 31))
    assert settings.whatsapp.api_base_url == "http://127.0.0.1:9999"
    assert settings.backoffice.port == 8080
    shown = repr(settings)
    assert "pw-9f8e7d" not in shown
    assert "token-123" not in shown
    assert KEY not in shown


def test_relative_sqlite_path_is_taken_from_the_repository(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "LALISA_IDENTITY_KEY": KEY,
            "LALISA_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "sqlite:///var/other.db",
        },
        env_file=None,
    )
    assert settings.database.url == f"sqlite:///{REPO_ROOT / 'var' / 'other.db'}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LALISA_TIMEZONE", "Mars/Olympus"),
        ("LALISA_OFFICE_HOURS", "mon-thu 8-16"),
        ("LALISA_EXTRA_HOLIDAYS", "2026-13-01"),
        ("LALISA_IDENTITY_KEY", "not-a-fernet-key"),
        ("RASA_PORT", "abc"),
        ("ACTION_PORT", "70000"),
    ],
)
def test_invalid_values_fail_fast(tmp_path: Path, name: str, value: str) -> None:
    environ = {"LALISA_IDENTITY_KEY": KEY, "LALISA_VAR_DIR": str(tmp_path), name: value}
    with pytest.raises(SettingsError, match=name):
        load_settings(environ=environ, env_file=None)


def test_development_identity_key_is_generated_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {"LALISA_VAR_DIR": str(tmp_path / "var")}
    with caplog.at_level(logging.WARNING, logger="lalisa.core.settings"):
        first = load_settings(environ=environ, env_file=None)
    key_file = tmp_path / "var" / "identity.key"
    assert first.identity.key_is_generated
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first.identity.key
    assert any("LALISA_IDENTITY_KEY is not set" in r.getMessage() for r in caplog.records)
    Fernet(first.identity.key.encode())

    second = load_settings(environ=environ, env_file=None)
    assert second.identity.key == first.identity.key


def test_empty_values_mean_default(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "LALISA_IDENTITY_KEY": KEY,
            "LALISA_VAR_DIR": str(tmp_path),
            "LALISA_TIMEZONE": "",
            "REDIS_URL": "  ",
            "RASA_PORT": "",
        },
        env_file=None,
    )
    assert settings.office.timezone == "Asia/Makassar"
    assert settings.database.redis_url is None
    assert settings.ports.rasa == 5005


def test_get_settings_is_cached(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_settings()
    monkeypatch.setenv("LALISA_OFFICE_PHONE", "0526-333")
    assert get_settings() is first
    reset_settings_cache()
    assert get_settings().office.phone == "0526-333"


def test_settings_are_frozen(lalisa_env: dict[str, str]) -> None:
    settings = get_settings()
    with pytest.raises(AttributeError):
        settings.office.phone = "x"  # type: ignore[misc]


def test_one_reset_reloads_every_section(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = get_settings()
    assert before.sla.completion_days == 5
    assert before.takeover.idle_minutes == 30
    assert before.backoffice.public_url is None
    assert before.whatsapp.template_survey_invitation == "lalisa_undangan_survei"
    assert before.reports.place == "Paringin"
    assert before.runtime.cache_seconds == 30.0
    for name, value in {
        "LALISA_SLA_COMPLETION_DAYS": "7",
        "TAKEOVER_IDLE_MINUTES": "5",
        "BACKOFFICE_PUBLIC_URL": "https://lalisa.example/",
        "WHATSAPP_TEMPLATE_SURVEY_INVITATION": "undangan_v2",
        "LALISA_REPORT_PLACE": "Batumandi",
        "LALISA_SETTINGS_CACHE_SECONDS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    assert get_settings() is before
    reset_settings_cache()
    after = get_settings()
    assert after.sla.completion_days == 7
    assert after.takeover.idle_minutes == 5
    assert after.backoffice.public_url == "https://lalisa.example"
    assert after.whatsapp.template_survey_invitation == "undangan_v2"
    assert after.reports.place == "Batumandi"
    assert after.runtime.cache_seconds == 2.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LALISA_SLA_MAX_DAYS", "enam puluh"),
        ("TAKEOVER_IDLE_MINUTES", "0"),
        ("BACKOFFICE_SESSION_HOURS", "1.5"),
        ("BACKOFFICE_INSECURE_COOKIES", "mungkin"),
        ("HOTSPOT_TILE_URL", "javascript:alert(1)"),
        ("OUTBOX_MAX_ATTEMPTS", "0"),
    ],
)
def test_every_section_fails_fast_naming_the_variable(
    tmp_path: Path, name: str, value: str
) -> None:
    environ = {"LALISA_IDENTITY_KEY": KEY, "LALISA_VAR_DIR": str(tmp_path), name: value}
    with pytest.raises(SettingsError, match=name):
        load_settings(environ=environ, env_file=None)
