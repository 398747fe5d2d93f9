"""LALISA_ENV: production refuses unsafe settings by name; the sandbox never patches credentials."""

from __future__ import annotations

import pytest

from lalisa_common.profile import (
    SANDBOX_CREDENTIALS,
    WHATSAPP_VARIABLES,
    Profile,
    ProfileError,
    is_loopback,
    listener_problems,
    production_problems,
    profile_of,
    sandbox_wanted,
    startup_problems,
)

REAL_WHATSAPP = {
    "WHATSAPP_VERIFY_TOKEN": "verify-9f2c1e7a",
    "WHATSAPP_APP_SECRET": "0123456789abcdef0123456789abcdef",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-real-looking-token",
    "WHATSAPP_PHONE_NUMBER_ID": "109876543210987",
}
SAFE_PRODUCTION = {
    "LALISA_ENV": "production",
    "LALISA_IDENTITY_KEY": "a" * 43 + "=",
    **REAL_WHATSAPP,
}


def variables(problems: list[object]) -> list[str]:
    return [problem.variable for problem in problems]  # type: ignore[attr-defined]


def test_profile_defaults_to_development_and_rejects_typos() -> None:
    assert profile_of({}) is Profile.DEVELOPMENT
    assert profile_of({"LALISA_ENV": " Production "}) is Profile.PRODUCTION
    with pytest.raises(ProfileError, match="production"):
        profile_of({"LALISA_ENV": "prod"})
    assert variables(startup_problems({"LALISA_ENV": "prod"})) == ["LALISA_ENV"]


def test_a_safe_production_configuration_starts() -> None:
    channels = ["lalisa_rasa.channels.rest.TokenRestInput", "lalisa_rasa.channels.whatsapp.X"]
    assert startup_problems(SAFE_PRODUCTION, channels) == []
    assert not sandbox_wanted(SAFE_PRODUCTION)


@pytest.mark.parametrize(
    ("change", "variable", "words"),
    [
        ({"LALISA_IDENTITY_KEY": ""}, "LALISA_IDENTITY_KEY", "wajib"),
        ({"BACKOFFICE_INSECURE_COOKIES": "1"}, "BACKOFFICE_INSECURE_COOKIES", "Secure"),
        ({"BACKOFFICE_INSECURE_COOKIES": "maybe"}, "BACKOFFICE_INSECURE_COOKIES", "1 atau 0"),
        ({"RASA_HOST": "0.0.0.0"}, "RASA_HOST", "dari luar"),
        ({"ACTION_HOST": "10.0.0.5"}, "ACTION_HOST", "dari luar"),
        ({"SANDBOX_HOST": "::"}, "SANDBOX_HOST", "dari luar"),
        ({"LALISA_RECEIVER_HOST": "lalisa.example.go.id"}, "LALISA_RECEIVER_HOST", "dari luar"),
        ({"LALISA_SANDBOX": "1"}, "LALISA_SANDBOX", "production"),
        ({"WHATSAPP_API_BASE_URL": "http://127.0.0.1:5006"}, "WHATSAPP_API_BASE_URL", "https"),
        ({"RASA_API_TOKEN": "short"}, "RASA_API_TOKEN", "pendek"),
        ({"LALISA_ACTION_SECRET": "short"}, "LALISA_ACTION_SECRET", "pendek"),
        ({"LALISA_REST_TOKEN": "short"}, "LALISA_REST_TOKEN", "pendek"),
    ],
)
def test_production_refuses_each_unsafe_setting_by_name(
    change: dict[str, str], variable: str, words: str
) -> None:
    problems = startup_problems({**SAFE_PRODUCTION, **change})
    assert variables(problems) == [variable], problems
    assert words in problems[0].message


def test_production_refuses_missing_and_sandbox_credentials() -> None:
    missing = production_problems({**SAFE_PRODUCTION, "WHATSAPP_ACCESS_TOKEN": ""})
    assert variables(missing) == ["WHATSAPP_ACCESS_TOKEN"]
    sandboxed = production_problems({**SAFE_PRODUCTION, **SANDBOX_CREDENTIALS})
    assert variables(sandboxed) == [", ".join(WHATSAPP_VARIABLES)]
    assert "sandbox" in sandboxed[0].message
    one_sandbox_value = {**SAFE_PRODUCTION, "WHATSAPP_APP_SECRET": "sandbox-app-secret"}
    assert variables(production_problems(one_sandbox_value)) == ["WHATSAPP_APP_SECRET"]


def test_production_refuses_the_stock_rest_channel() -> None:
    problems = production_problems(SAFE_PRODUCTION, ["rest", "lalisa_rasa.channels.whatsapp.X"])
    assert variables(problems) == ["credentials.yml"]
    assert "LALISA_REST_TOKEN" in problems[0].message


def test_production_lists_every_problem_at_once() -> None:
    unsafe = {"LALISA_ENV": "production", "RASA_HOST": "0.0.0.0", "LALISA_SANDBOX": "1"}
    found = variables(startup_problems(unsafe, ["rest"]))
    assert "LALISA_IDENTITY_KEY" in found
    assert "RASA_HOST" in found
    assert "LALISA_SANDBOX" in found
    assert "credentials.yml" in found
    assert any("WHATSAPP_ACCESS_TOKEN" in name for name in found)


def test_partial_whatsapp_credentials_are_refused_in_both_profiles() -> None:
    partial = {"WHATSAPP_APP_SECRET": "real-secret-of-the-app"}
    for profile in ("development", "production"):
        problems = startup_problems({**partial, "LALISA_ENV": profile})
        assert problems, profile
        first = problems[0]
        assert (
            first.variable
            == "WHATSAPP_VERIFY_TOKEN, WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID"
        )
        assert "Sandbox tidak pernah menggantikan" in first.message


def test_sandbox_only_when_asked_or_nothing_is_configured() -> None:
    assert sandbox_wanted({})
    assert sandbox_wanted({"LALISA_SANDBOX": "1"})
    assert not sandbox_wanted({"LALISA_SANDBOX": "0"})
    assert not sandbox_wanted(REAL_WHATSAPP)
    assert not sandbox_wanted({"LALISA_ENV": "production"})
    # Asked for next to real credentials: refused instead of overwriting them.
    conflict = startup_problems({**REAL_WHATSAPP, "LALISA_SANDBOX": "1"})
    assert variables(conflict) == ["LALISA_SANDBOX"]
    assert startup_problems({"LALISA_SANDBOX": "1"}) == []
    assert variables(startup_problems({"LALISA_SANDBOX": "0"})) == [", ".join(WHATSAPP_VARIABLES)]


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org", ""):
        assert not is_loopback(host), host


def test_sandbox_constants_match_the_sandbox() -> None:
    sandbox_config = pytest.importorskip("sandbox.config")
    assert SANDBOX_CREDENTIALS == {
        "WHATSAPP_VERIFY_TOKEN": sandbox_config.DEFAULT_VERIFY_TOKEN,
        "WHATSAPP_APP_SECRET": sandbox_config.DEFAULT_APP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": sandbox_config.DEFAULT_ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": sandbox_config.DEFAULT_PHONE_NUMBER_ID,
    }


def test_a_process_checks_its_own_door_in_production_only() -> None:
    production = {"LALISA_ENV": "production", "LALISA_ACTION_SECRET": "s" * 24}
    assert listener_problems({}, "ACTION_HOST", "0.0.0.0", "LALISA_ACTION_SECRET") == []
    assert listener_problems(production, "ACTION_HOST", "127.0.0.1", "LALISA_ACTION_SECRET") == []
    public = listener_problems(production, "ACTION_HOST", "0.0.0.0", "LALISA_ACTION_SECRET")
    assert variables(public) == ["ACTION_HOST"]
    assert "server aksi" in public[0].message
    short = {**production, "LALISA_ACTION_SECRET": "pendek"}
    assert variables(listener_problems(short, "ACTION_HOST", "::1", "LALISA_ACTION_SECRET")) == [
        "LALISA_ACTION_SECRET"
    ]
    assert variables(listener_problems({"LALISA_ENV": "prod"}, "RASA_HOST", "::1")) == [
        "LALISA_ENV"
    ]
