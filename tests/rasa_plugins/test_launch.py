"""``python -m lalisa_rasa run``: the API token comes from the environment, not the command line."""

from __future__ import annotations

import pytest

from lalisa_rasa.launch import arguments_with_secrets

RUN = ["lalisa_rasa", "run", "--model", "m.tar.gz", "--enable-api"]


def test_the_token_is_added_in_memory_from_the_environment() -> None:
    env = {"RASA_API_TOKEN": "-token-dari-operator"}
    # One "--auth-token=..." argument: a token starting with "-" is not read as an option.
    assert arguments_with_secrets(RUN, env) == [*RUN, "--auth-token=-token-dari-operator"]
    assert env["LALISA_ACTION_SECRET"] == ""
    assert env["SANIC_REQUEST_MAX_SIZE"] == str(2 * 1024 * 1024)


def test_the_request_size_limit_follows_the_setting() -> None:
    env = {"LALISA_RASA_MAX_BODY_BYTES": "65536"}
    arguments_with_secrets(["lalisa_rasa", "train"], env)
    assert env["SANIC_REQUEST_MAX_SIZE"] == "65536"


def test_an_explicit_token_and_other_commands_are_left_alone() -> None:
    explicit = [*RUN, "--auth-token", "x"]
    assert arguments_with_secrets(explicit, {"RASA_API_TOKEN": "y"}) == explicit
    train = ["lalisa_rasa", "train", "--out", "models"]
    assert arguments_with_secrets(train, {"RASA_API_TOKEN": "y"}) == train
    without_api = ["lalisa_rasa", "run", "--model", "m"]
    assert arguments_with_secrets(without_api, {"RASA_API_TOKEN": "y"}) == without_api


def test_the_api_never_starts_without_a_token() -> None:
    with pytest.raises(SystemExit, match="RASA_API_TOKEN"):
        arguments_with_secrets(RUN, {})


def test_the_action_secret_keeps_an_operator_value() -> None:
    env = {"LALISA_ACTION_SECRET": "kept", "RASA_API_TOKEN": "t"}
    arguments_with_secrets(RUN, env)
    assert env["LALISA_ACTION_SECRET"] == "kept"
