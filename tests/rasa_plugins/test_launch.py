"""``python -m lalisa_rasa run``: the API token comes from the environment, not the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lalisa_rasa.launch import arguments_with_secrets

RUN = ["lalisa_rasa", "run", "--model", "m.tar.gz", "--enable-api"]


def test_the_token_is_added_in_memory_from_the_environment() -> None:
    env = {"RASA_API_TOKEN": "-token-dari-operator"}
    # One "--auth-token=..." argument: a token starting with "-" is not read as an option.
    assert arguments_with_secrets(RUN, env) == [
        *RUN,
        "--interface=127.0.0.1",
        "--auth-token=-token-dari-operator",
    ]
    assert env["LALISA_ACTION_SECRET"] == ""
    assert env["SANIC_REQUEST_MAX_SIZE"] == str(2 * 1024 * 1024)


def test_the_request_size_limit_follows_the_setting() -> None:
    env = {"LALISA_RASA_MAX_BODY_BYTES": "65536"}
    arguments_with_secrets(["lalisa_rasa", "train"], env)
    assert env["SANIC_REQUEST_MAX_SIZE"] == "65536"


def test_an_explicit_token_and_other_commands_are_left_alone() -> None:
    explicit = [*RUN, "--auth-token", "x", "--interface", "127.0.0.1"]
    assert arguments_with_secrets(explicit, {"RASA_API_TOKEN": "y"}) == explicit
    train = ["lalisa_rasa", "train", "--out", "models"]
    assert arguments_with_secrets(train, {"RASA_API_TOKEN": "y"}) == train
    without_api = ["lalisa_rasa", "run", "--model", "m", "-i", "127.0.0.2"]
    assert arguments_with_secrets(without_api, {"RASA_API_TOKEN": "y"}) == without_api


def test_rasa_binds_loopback_unless_an_interface_is_given() -> None:
    plain = ["lalisa_rasa", "run", "--model", "m"]
    assert arguments_with_secrets(plain, {})[-1] == "--interface=127.0.0.1"
    assert arguments_with_secrets(plain, {"RASA_HOST": "::1"})[-1] == "--interface=::1"
    given = [*plain, "--interface=0.0.0.0"]
    assert arguments_with_secrets(given, {}) == given  # development keeps what was asked


def test_production_refuses_a_public_interface_or_a_short_token() -> None:
    production = {"LALISA_ENV": "production", "RASA_API_TOKEN": "t" * 32}
    with pytest.raises(SystemExit, match="RASA_HOST"):
        arguments_with_secrets([*RUN, "-i", "0.0.0.0"], dict(production))
    with pytest.raises(SystemExit, match="RASA_HOST"):
        arguments_with_secrets(RUN, {**production, "RASA_HOST": "10.1.2.3"})
    with pytest.raises(SystemExit, match="RASA_API_TOKEN"):
        arguments_with_secrets(RUN, {**production, "RASA_API_TOKEN": "short"})
    assert arguments_with_secrets(RUN, dict(production))[-1] == f"--auth-token={'t' * 32}"


def test_the_api_never_starts_without_a_token() -> None:
    with pytest.raises(SystemExit, match="RASA_API_TOKEN"):
        arguments_with_secrets(RUN, {})


def test_the_action_secret_keeps_an_operator_value() -> None:
    env = {"LALISA_ACTION_SECRET": "kept", "RASA_API_TOKEN": "t"}
    arguments_with_secrets(RUN, env)
    assert env["LALISA_ACTION_SECRET"] == "kept"


def test_the_worker_applies_the_tensorflow_thread_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The worker applies ``TF_*_PARALLELISM_THREADS`` itself, before loading the model.

    ``rasa run`` applies them in Rasa's command line, which the worker does not go through.
    """
    from lalisa_rasa import worker

    calls: list[str] = []
    monkeypatch.setattr(worker, "setup_tf_environment", lambda: calls.append("threads"))

    def run(coroutine: Any) -> None:
        calls.append("serve")
        coroutine.close()

    monkeypatch.setattr(worker.uvloop, "run", run)
    monkeypatch.setattr(worker.os, "nice", lambda increment: 0)
    # No global logging set-up from a test.
    monkeypatch.setattr(worker, "configure_logging", lambda: None)
    monkeypatch.setattr(worker, "configure_structlog", lambda level: None)
    for name, value in {
        "LALISA_ENV_FILE": "",
        "LALISA_VAR_DIR": str(tmp_path),
        "WHATSAPP_VERIFY_TOKEN": "verify-token",
        "WHATSAPP_APP_SECRET": "app-secret",
        "WHATSAPP_ACCESS_TOKEN": "access-token",
        "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "REDIS_URL",
        "DATABASE_URL",
        "TRACKER_DATABASE_URL",
        "LALISA_RASA_WORKERS",
        "LALISA_ACTION_SECRET",  # main() sets a default: undone after the test
    ):
        monkeypatch.delenv(name, raising=False)
    assert worker.main(["--model", "models/none.tar.gz"]) == 0
    assert calls == ["threads", "serve"]
