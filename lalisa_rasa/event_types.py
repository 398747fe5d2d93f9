"""Event classes looked up by name once, not by walking every ``Event`` subclass per event.

Rasa turns each stored or received event (``{"event": "user", ...}``) into an object with
``Event.resolve_by_type(name)``, which walks the whole ``Event`` class tree (recursively, with
an ``inspect.isabstract`` check per class) until a class has that ``type_name``: ~30 classes
for every event of every tracker load and of every action server answer. That walk was ~35 %
of a tracker load's CPU (``scripts/profile_message.py``, ``docs/benchmarks.md``).

:func:`install` makes the lookup a dictionary read. The dictionary is built from the same walk,
keeping the first class of each name (Rasa's answer); a name it does not know (a subclass
imported later, or no class at all) rebuilds it once and otherwise leaves the answer to
Rasa's own method (``topic``, the default, or its ``ValueError``).
"""

from __future__ import annotations

import functools
from typing import Any

import rasa.shared.utils.common
from rasa.shared.core.events import Event

_INSTALLED_MARK = "_lalisa_event_types"
_classes: dict[str, type[Event]] = {}


def _rebuild() -> None:
    classes: dict[str, type[Event]] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    _classes.clear()
    _classes.update(classes)


def event_class(type_name: str) -> type[Event] | None:
    """The class Rasa's ``Event.resolve_by_type`` finds for ``type_name``, or None."""
    cls = _classes.get(type_name)
    if cls is None:
        _rebuild()
        cls = _classes.get(type_name)
    return cls


def install() -> None:
    """Makes ``Event.resolve_by_type`` a dictionary look-up. Idempotent."""
    original = Event.resolve_by_type
    if getattr(original, _INSTALLED_MARK, False):
        return

    @functools.wraps(original)
    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = event_class(type_name)
        if cls is not None:
            return cls
        return original(type_name, default)

    setattr(resolve_by_type, _INSTALLED_MARK, True)
    Event.resolve_by_type = staticmethod(resolve_by_type)


__all__ = ["event_class", "install"]
