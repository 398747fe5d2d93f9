"""The domain and the action server agree on the custom actions and on who gets the domain."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import ValidationAction

from lalisa_common.env import REPO_ROOT
from lalisa_common.rasa_domain import load_domain

CUSTOM_PREFIXES = ("action_", "validate_")


def served_actions() -> dict[str, type[Action]]:
    """What ``rasa_sdk --actions actions`` serves: the executor's registry after the import."""
    executor = ActionExecutor()
    executor.register_package("actions")
    # The registry holds each action's bound ``run``.
    return {name: type(run.__self__) for name, run in executor.actions.items()}


def listed_actions() -> dict[str, dict[str, Any]]:
    """The domain's custom actions with their options (``send_domain``)."""
    listed: dict[str, dict[str, Any]] = {}
    for item in load_domain()["actions"]:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, {})
        if str(name).startswith(CUSTOM_PREFIXES):
            listed[str(name)] = dict(options or {})
    return listed


def test_every_custom_action_of_the_domain_is_served_and_vice_versa() -> None:
    listed = set(listed_actions())
    served = set(served_actions())
    assert listed, "the domain lists no custom action"
    assert sorted(listed - served) == [], "in the domain, but no action server class"
    assert sorted(served - listed) == [], "served, but Rasa would never call it"


def rasa_sends_domain(name: str, options: dict[str, Any]) -> bool:
    """Rasa 3.6's rule with ``enable_selective_domain`` (Domain._collect_actions_which_…)."""
    if options:
        return bool(options.get("send_domain", False))
    return name.startswith("validate_")


def reads_domain(action: type[Action]) -> bool:
    """Whether the action's code uses the ``domain`` it is given.

    rasa-sdk's form validators read it themselves (the form's required slots, the slot
    mappings); any other action reads it when a method of its class uses the name ``domain``.
    """
    if issubclass(action, ValidationAction):
        return True
    tree = ast.parse(textwrap.dedent(inspect.getsource(action)))
    return any(
        isinstance(node, ast.Name) and node.id == "domain" and isinstance(node.ctx, ast.Load)
        for node in ast.walk(tree)
    )


def test_the_domain_goes_exactly_to_the_actions_that_read_it() -> None:
    endpoints = (REPO_ROOT / "endpoints.yml").read_text(encoding="utf-8")
    assert "enable_selective_domain: true" in endpoints
    served = served_actions()
    wrong = {
        name: {"reads": reads_domain(served[name]), "sent": rasa_sends_domain(name, opts)}
        for name, opts in listed_actions().items()
        if reads_domain(served[name]) != rasa_sends_domain(name, opts)
    }
    assert wrong == {}, "mark these in domain/ with send_domain: true (or false)"
    # The ones that need it, so that a broken check cannot pass by finding none.
    needing = {n for n, o in listed_actions().items() if rasa_sends_domain(n, o)}
    assert {"action_tell_office_contact", "validate_survey_form"} <= needing
    assert "validate_complaint_form" not in needing
