"""A tracker copies its slots with what ``copy.copy`` does for them, without its generic path.

Every ``DialogueStateTracker`` Rasa 3.6 builds copies each slot of the domain
(``{slot.name: copy.copy(slot) for slot in slots}``), and Rasa builds trackers all the time:
one per replay of a tracker (the dialogue states, ``tracker.copy()`` before every action),
~5 per message here with 48 slots each. ``copy.copy`` finds its way to a plain object's
copy through the dispatch table, ``__copy__``, ``__reduce_ex__(4)`` and ``_reconstruct``;
for a class that customises none of them that ends in ``cls.__new__(cls)`` and an update of
the new ``__dict__`` from the old one.

:func:`fast_copy` does exactly that for such classes, checked once per class
(:func:`plain_class`), and calls ``copy.copy`` for every other object. :func:`install` gives
Rasa's tracker module a ``copy`` module whose ``copy`` is :func:`fast_copy` (the module uses
``copy`` for nothing else; the installer checks its source for that). Version-guarded to Rasa
3.6.21; ``tests/rasa_plugins/test_slot_copies.py`` compares the copies with ``copy.copy``'s
for every slot of the domain.
"""

from __future__ import annotations

import ast
import copy
import copyreg
import functools
import inspect
import logging
import types
from typing import Any

import rasa
import rasa.shared.core.trackers as trackers_module

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
_INSTALLED_MARK = "_lalisa_slot_copies"
# What a class may not define (itself or by inheritance, object's own excepted) for its copy
# to be ``cls.__new__(cls)`` plus the instance dict; nor may it have slots.
_CUSTOMISING = (
    "__copy__",
    "__getstate__",
    "__setstate__",
    "__getnewargs__",
    "__getnewargs_ex__",
)
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class defined by a class statement


@functools.lru_cache(maxsize=256)
def plain_class(cls: type) -> bool:
    """Whether ``copy.copy`` of a ``cls`` instance is ``cls.__new__(cls)`` + its ``__dict__``.

    That is ``copy.copy``'s path through ``object.__reduce_ex__(4)`` (``copyreg.__newobj__``
    and ``copy._reconstruct`` with the instance dict as state), for a class without a copy
    of its own, a registered reducer, pickling hooks, slots, or a list/dict base.
    """
    if cls in copy._copy_dispatch or issubclass(cls, (type, list, dict)):  # type: ignore[attr-defined]
        return False
    if cls in copyreg.dispatch_table:
        return False
    if getattr(cls, "__reduce_ex__", None) is not object.__reduce_ex__:
        return False
    if getattr(cls, "__reduce__", None) is not object.__reduce__:
        return False
    if any(name in vars(klass) for klass in cls.__mro__ for name in _CUSTOMISING):
        return False
    # Slots would be state besides the dict (``abc.ABC`` declares none: ``__slots__ = ()``).
    if any(vars(klass).get("__slots__") for klass in cls.__mro__):
        return False
    # Python classes on object only: a C base could store more than the instance dict.
    return all(
        klass is object or klass.__flags__ & _HEAPTYPE for klass in cls.__mro__
    ) and "__dict__" in dir(cls)


def fast_copy(value: Any) -> Any:
    """``copy.copy(value)``, without the generic path for instances of plain classes."""
    cls: Any = type(value)
    # copy.copy asks the instance for __reduce_ex__: an instance attribute would win.
    if not plain_class(cls) or "__reduce_ex__" in value.__dict__:
        return copy.copy(value)
    new = cls.__new__(cls)
    new.__dict__.update(value.__dict__)
    return new


def _uses_copy_only_for_copy(module: types.ModuleType) -> bool:
    """Whether every use of the name ``copy`` in ``module``'s source is ``copy.copy``."""
    tree = ast.parse(inspect.getsource(module))
    attributes = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "copy"
    ]
    names = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "copy"]
    return (
        bool(attributes)
        and len(names) == len(attributes)
        and all(node.attr == "copy" for node in attributes)
    )


class _CopyModule(types.ModuleType):
    """The ``copy`` module as Rasa's tracker module sees it: ``copy`` is :func:`fast_copy`."""

    copy = staticmethod(fast_copy)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    """Makes ``DialogueStateTracker`` copy its slots with :func:`fast_copy`. Idempotent."""
    if getattr(trackers_module.copy, _INSTALLED_MARK, False):
        return
    if rasa.__version__ != RASA_VERSION or not _uses_copy_only_for_copy(trackers_module):
        logger.warning(
            "Rasa %s is not %s: the trackers' slot copies are Rasa's own",
            rasa.__version__,
            RASA_VERSION,
        )
        return
    shim = _CopyModule("copy")
    setattr(shim, _INSTALLED_MARK, True)
    trackers_module.copy = shim


__all__ = ["RASA_VERSION", "fast_copy", "install", "plain_class"]
