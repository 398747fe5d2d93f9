"""The trackers' slot copies are ``copy.copy``'s, for every slot of the domain and beyond."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
import rasa.shared.core.trackers as trackers_module
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

from lalisa_common.rasa_domain import domain_path
from lalisa_rasa import slot_copies


@functools.lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.load(str(domain_path()))


def same_copy(original: Any, copied: Any, expected: Any) -> None:
    """``copied`` is what ``expected`` (copy.copy's) is: a new object, the same state."""
    assert type(copied) is type(expected)
    assert copied is not original
    assert list(vars(copied).items()) == list(vars(expected).items())
    for name, value in vars(copied).items():
        assert value is vars(original)[name]  # shallow, as copy.copy


def test_every_slot_of_the_domain_copies_as_copy_copy() -> None:
    slots = domain().slots
    assert len(slots) >= 20
    for slot in slots:
        assert slot_copies.plain_class(type(slot)), type(slot)
        for value in (None, "x", ["a", "b"], 1.5, True, {"k": "v"}):
            slot._value = value
            same_copy(slot, slot_copies.fast_copy(slot), copy.copy(slot))
        slot.reset()


class WithCopy:
    def __init__(self) -> None:
        self.value = [1]

    def __copy__(self) -> WithCopy:
        new = WithCopy()
        new.value = [2]
        return new


class WithSlots:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 1


class WithState:
    def __init__(self) -> None:
        self.value = 1

    def __getstate__(self) -> dict[str, int]:
        return {"value": 2}


class WithNewArgs:
    def __new__(cls, *args: int) -> WithNewArgs:
        return super().__new__(cls)

    def __getnewargs__(self) -> tuple[int]:
        return (1,)


class DictLike(dict):  # type: ignore[type-arg]
    pass


class Failure(Exception):
    pass


class Plain:
    def __init__(self) -> None:
        self.value = [1]


@pytest.mark.parametrize(
    "value",
    [WithCopy(), WithSlots(), WithState(), WithNewArgs(), DictLike(a=1), Failure("x"), 3, "s"],
)
def test_other_objects_take_copy_copys_own_path(value: Any) -> None:
    assert not slot_copies.plain_class(type(value))
    copied = slot_copies.fast_copy(value)
    expected = copy.copy(value)
    assert type(copied) is type(expected)
    if hasattr(expected, "__dict__"):
        assert vars(copied) == vars(expected)
    if isinstance(value, WithCopy):
        assert copied.value == [2]


def test_an_instance_reduce_ex_is_respected() -> None:
    value = Plain()
    value.__reduce_ex__ = lambda protocol: (Plain, ())  # type: ignore[method-assign]
    assert slot_copies.plain_class(Plain)
    assert vars(slot_copies.fast_copy(value)) == vars(copy.copy(value)) == {"value": [1]}
    assert "__reduce_ex__" not in vars(slot_copies.fast_copy(value))


def test_trackers_copy_slots_as_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    slot_copies.install()
    slot_copies.install()  # idempotent
    assert getattr(trackers_module.copy, "_lalisa_slot_copies", False)
    assert trackers_module.copy.deepcopy is copy.deepcopy
    name = domain().slots[0].name
    tracker = DialogueStateTracker("a", domain().slots)
    tracker.update(SlotSet(name, "v"))
    hooked = tracker.copy()
    with monkeypatch.context() as patched:
        patched.setattr(trackers_module, "copy", copy)
        plain = tracker.copy()
    assert hooked.current_state() == plain.current_state()
    for slot_name, slot in hooked.slots.items():
        same_copy(tracker.slots[slot_name], slot, plain.slots[slot_name])
        assert isinstance(slot, Slot)
    assert hooked.get_slot(name) == "v"
    assert domain().slots[0].value != "v"  # the domain's own slot is untouched
