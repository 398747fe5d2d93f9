"""The notification settings: defaults, overrides, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lalisa.core.settings import SettingsError, load_settings


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {
        "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
        "LALISA_VAR_DIR": str(tmp_path),
        **values,
    }


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(_env(tmp_path), env_file=None)
    assert settings.whatsapp.api_version == "v23.0"
    assert settings.whatsapp.template_citizen_update == "lalisa_status_laporan"
    assert settings.whatsapp.template_trc_dispatch == "lalisa_disposisi_trc"
    assert settings.whatsapp.template_language == "id"
    assert settings.outbox.poll_seconds == 5.0
    assert settings.outbox.max_attempts == 10


def test_overrides(tmp_path: Path) -> None:
    settings = load_settings(
        _env(
            tmp_path,
            WHATSAPP_API_VERSION="v25.0",
            WHATSAPP_TEMPLATE_CITIZEN_UPDATE="status_laporan_v2",
            WHATSAPP_TEMPLATE_TRC_DISPATCH="disposisi_v2",
            WHATSAPP_TEMPLATE_LANGUAGE="id",
            OUTBOX_POLL_SECONDS="0.5",
            OUTBOX_MAX_ATTEMPTS="3",
        ),
        env_file=None,
    )
    assert settings.whatsapp.api_version == "v25.0"
    assert settings.whatsapp.template_citizen_update == "status_laporan_v2"
    assert settings.whatsapp.template_trc_dispatch == "disposisi_v2"
    assert settings.outbox.poll_seconds == 0.5
    assert settings.outbox.max_attempts == 3


def test_empty_values_mean_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        _env(tmp_path, OUTBOX_MAX_ATTEMPTS="", WHATSAPP_TEMPLATE_LANGUAGE=" "), env_file=None
    )
    assert settings.outbox.max_attempts == 10
    assert settings.whatsapp.template_language == "id"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OUTBOX_POLL_SECONDS", "0"),
        ("OUTBOX_POLL_SECONDS", "-1"),
        ("OUTBOX_POLL_SECONDS", "nan"),
        ("OUTBOX_POLL_SECONDS", "soon"),
        ("OUTBOX_MAX_ATTEMPTS", "0"),
        ("OUTBOX_MAX_ATTEMPTS", "2.5"),
    ],
)
def test_invalid_values(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(_env(tmp_path, **{name: value}), env_file=None)


def test_env_example_documents_every_notification_setting() -> None:
    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for name in (
        "WHATSAPP_API_VERSION",
        "WHATSAPP_TEMPLATE_CITIZEN_UPDATE",
        "WHATSAPP_TEMPLATE_TRC_DISPATCH",
        "WHATSAPP_TEMPLATE_LANGUAGE",
        "OUTBOX_POLL_SECONDS",
        "OUTBOX_MAX_ATTEMPTS",
    ):
        assert f"\n{name}=" in text, name
