"""The action server's answers are checked against the same schema, compiled once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from lalisa_rasa import remote_actions

ROOT = Path(__file__).resolve().parents[2]

# Rasa's own check (the hook keeps it as ``__wrapped__`` when another test installed it first).
RASA_VALIDATE = getattr(
    RemoteAction._validate_action_result,
    "__wrapped__",
    RemoteAction._validate_action_result,
)

VALID: list[dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "category", "value": "miras", "timestamp": None},
            {"event": "active_loop", "name": None},
            {"event": "followup", "name": "action_listen"},
        ],
        "responses": [
            {"response": "utter_greet", "text": None, "buttons": [], "custom": {}},
            {"text": "halo", "buttons": [{"title": "Ya", "payload": "/affirm"}]},
        ],
    },
]

INVALID: list[dict[str, Any]] = [
    {"events": {"event": "slot"}},
    {"events": [{"event": "slot", "value": "x"}]},  # a slot event without a name
    {"events": [{"event": "no_such_event"}]},
    {"responses": "utter_greet"},
    {"events": [{"event": "user", "text": 3}]},
]


@pytest.fixture(autouse=True)
def installed() -> None:
    remote_actions.install()


@pytest.mark.parametrize("result", VALID)
def test_valid_answers_pass_as_with_rasa(result: dict[str, Any]) -> None:
    action = RemoteAction("action_greet", None)
    assert RASA_VALIDATE(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_answers_fail_with_rasas_error(result: dict[str, Any]) -> None:
    action = RemoteAction("action_greet", None)
    with pytest.raises(ValidationError) as rasa_error:
        RASA_VALIDATE(action, result)
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(result)
    assert ours.value.message == rasa_error.value.message
    assert list(ours.value.absolute_path) == list(rasa_error.value.absolute_path)
    assert "Failed to validate Action server response" in ours.value.message


def test_install_is_idempotent_and_replaces_rasas_check() -> None:
    remote_actions.install()
    hooked = RemoteAction._validate_action_result
    remote_actions.install()
    assert RemoteAction._validate_action_result is hooked
    assert hooked is not RASA_VALIDATE


def test_the_schema_is_compiled_once() -> None:
    assert remote_actions.response_validator() is remote_actions.response_validator()
    action = RemoteAction("action_greet", None)
    answer = VALID[2]
    action._validate_action_result(answer)
    started = time.process_time()
    for _ in range(20):
        action._validate_action_result(answer)
    per_call_ms = (time.process_time() - started) / 20 * 1000
    # Rasa's check costs ~20 ms of CPU here (the meta-schema check per call); a compiled
    # validator well under 1 ms. The bound is loose for slow shared machines.
    assert per_call_ms < 5


@pytest.mark.filterwarnings("ignore:Slot auto-fill has been removed")
def test_the_domain_is_sent_only_to_actions_that_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setenv("LALISA_ACTION_SECRET", "x" * 24)
    endpoint = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml")).action
    domain = Domain.load(str(ROOT / "domain"))
    tracker = DialogueStateTracker.from_events("citizen", [], domain.slots)

    def sent(name: str) -> bool:
        return "domain" in RemoteAction(name, endpoint)._action_call_format(tracker, domain)

    assert not sent("action_greet")
    assert not sent("action_check_status")
    assert not sent("validate_complaint_form")  # send_domain: false
    assert sent("action_tell_office_contact")
    assert sent("validate_survey_form")  # a rasa-sdk FormValidationAction
