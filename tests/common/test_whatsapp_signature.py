"""Signature helpers shared by the receiver (app env) and the Rasa side (both envs)."""

from __future__ import annotations

from lalisa_common.whatsapp.signature import app_secrets, sign, verify


def test_app_secrets_current_first_previous_while_rotating() -> None:
    env = {"WHATSAPP_APP_SECRET": " new ", "WHATSAPP_APP_SECRET_PREVIOUS": "old"}
    assert app_secrets(env) == ("new", "old")


def test_app_secrets_without_rotation_or_repeated() -> None:
    assert app_secrets({"WHATSAPP_APP_SECRET": "s"}) == ("s",)
    assert app_secrets({"WHATSAPP_APP_SECRET": "s", "WHATSAPP_APP_SECRET_PREVIOUS": "s"}) == ("s",)
    assert app_secrets({"WHATSAPP_APP_SECRET": "", "WHATSAPP_APP_SECRET_PREVIOUS": None}) == ()


def test_a_body_signed_with_the_previous_secret_verifies_during_rotation() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    secrets = app_secrets({"WHATSAPP_APP_SECRET": "new", "WHATSAPP_APP_SECRET_PREVIOUS": "old"})
    assert verify(body, sign(body, "old"), secrets)
    assert not verify(body, sign(body, "other"), secrets)
