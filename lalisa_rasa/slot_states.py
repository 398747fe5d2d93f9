"""The slots' sub-state of a dialogue state skips the slots that do not influence the dialogue.

Rasa 3.6's ``Domain._get_slots_sub_state`` runs for every state of every replay (~30 per
message here) and calls ``as_feature()`` of all 48 slots; most of them are declared
``influence_conversation: false``, and for those ``Slot.as_feature`` returns ``[]`` at once,
so the loop skips them. :func:`install` replaces the method with Rasa's loop, statement for
statement, that skips such a slot before the call: only when the slot's class does not
override ``as_feature`` (then the call is exactly that ``[]``). Version-guarded to Rasa 3.6.21;
``tests/rasa_plugins/test_slot_states.py`` compares it with Rasa's on every prefix of every
story and rule tracker of ``data/``.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import rasa
import rasa.shared.core.constants
from rasa.shared.core.domain import Domain, SubState
from rasa.shared.core.slots import Slot

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
_INSTALLED_MARK = "_lalisa_slot_states"
_BASE_AS_FEATURE = Slot.as_feature


@functools.lru_cache(maxsize=64)
def _base_as_feature(cls: Any) -> bool:
    """Whether ``cls`` uses ``Slot.as_feature`` (``[]`` without influence on the dialogue)."""
    return getattr(cls, "as_feature", None) is _BASE_AS_FEATURE


def slots_sub_state(tracker: Any, omit_unset_slots: bool = False) -> SubState:
    """Rasa 3.6.21's ``Domain._get_slots_sub_state``, without the calls that return ``[]``."""
    slots: SubState = {}
    for slot_name, slot in tracker.slots.items():
        if slot is None:
            continue
        slot_type: Any = type(slot)
        if not slot.influence_conversation and _base_as_feature(slot_type):
            continue  # Slot.as_feature() would return [] (falsy): Rasa's `if` skips it
        if slot.as_feature():
            if omit_unset_slots and not slot.has_been_set:
                continue
            if slot.value == rasa.shared.core.constants.SHOULD_NOT_BE_SET:
                slots[slot_name] = rasa.shared.core.constants.SHOULD_NOT_BE_SET
            elif any(slot.as_feature()):
                slots[slot_name] = tuple(slot.as_feature())
    return slots


def install() -> None:
    """Makes ``Domain._get_slots_sub_state`` skip the slots without influence. Idempotent."""
    original = Domain._get_slots_sub_state
    if getattr(original, _INSTALLED_MARK, False):
        return
    if rasa.__version__ != RASA_VERSION:
        logger.warning(
            "Rasa %s is not %s: the slots' sub-states are Rasa's own",
            rasa.__version__,
            RASA_VERSION,
        )
        return

    @functools.wraps(original)
    def _get_slots_sub_state(tracker: Any, omit_unset_slots: bool = False) -> SubState:
        return slots_sub_state(tracker, omit_unset_slots)

    setattr(_get_slots_sub_state, _INSTALLED_MARK, True)
    Domain._get_slots_sub_state = staticmethod(_get_slots_sub_state)


__all__ = ["RASA_VERSION", "install", "slots_sub_state"]
