"""The domain and the action server agree on the custom actions."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from lalisa_common.rasa_domain import load_domain

CUSTOM_PREFIXES = ("action_", "validate_")


def served_actions() -> set[str]:
    """What ``rasa_sdk --actions actions`` serves: the executor's registry after the import."""
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_every_custom_action_of_the_domain_is_served_and_vice_versa() -> None:
    domain = load_domain()
    listed = {name for name in domain["actions"] if name.startswith(CUSTOM_PREFIXES)}
    served = served_actions()
    assert listed, "the domain lists no custom action"
    assert sorted(listed - served) == [], "in the domain, but no action server class"
    assert sorted(served - listed) == [], "served, but Rasa would never call it"
