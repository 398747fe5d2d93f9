"""Rasa's structlog debug arguments are not deep-copied while debug logging is off.

Rasa 3.6 logs its turn with ``structlogger.debug("...", states=copy.deepcopy(states))`` in
the processor, the MemoizationPolicy and the RulePolicy. Python evaluates the arguments
before the call, so every message deep-copies the dialogue states, the parse data and the
events of every action (~3 % of a profiled turn) at every log level, and the filtering
logger of ``rasa run`` (``make_filtering_bound_logger(INFO)``) then drops them unread.

In those three modules ``copy`` is used for nothing else: every ``copy.deepcopy(...)`` is
an argument of a ``structlogger.debug(...)`` call (:func:`debug_arguments_only` checks the
module's source at install). :func:`install` gives each such module a ``copy`` whose
``deepcopy`` returns its argument itself when the module's own ``structlogger`` drops debug
records (its bound logger's ``debug`` is structlog's no-op), and deep-copies as before
otherwise (``--debug``, or any other structlog configuration). The value is then only passed
to a function that ignores it. Version-guarded to Rasa 3.6.21 (and structlog's no-op
present); ``tests/rasa_plugins/test_quiet_debug.py``.
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import logging
import types
from typing import Any

import rasa
import structlog

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
_INSTALLED_MARK = "_lalisa_quiet_debug"
MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.memoization",
    "rasa.core.policies.rule_policy",
)

# The method structlog's filtering loggers have for the levels they drop (None: another
# structlog, whose loggers are never taken for dropping anything).
STRUCTLOG_NOP: Any = getattr(importlib.import_module("structlog._native"), "_nop", None)


def debug_dropped(structlogger: Any) -> bool:
    """Whether ``structlogger.debug(...)`` drops its record without reading the arguments."""
    if STRUCTLOG_NOP is None:
        return False
    bound = structlogger.bind() if hasattr(structlogger, "bind") else structlogger
    return getattr(type(bound), "debug", None) is STRUCTLOG_NOP


def debug_arguments_only(source: str) -> bool:
    """Whether every use of ``copy`` in ``source`` is a ``copy.deepcopy(...)`` debug argument.

    That is: each ``copy`` name is the ``copy.deepcopy`` of a call that is itself an argument
    (positional or keyword) of a ``structlogger.debug(...)`` call.
    """
    tree = ast.parse(source)
    debug_arguments: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "debug"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "structlogger"
        ):
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                if (
                    isinstance(argument, ast.Call)
                    and isinstance(argument.func, ast.Attribute)
                    and argument.func.attr == "deepcopy"
                ):
                    debug_arguments.add(id(argument.func.value))
    uses = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "copy"]
    return bool(uses) and all(id(node) in debug_arguments for node in uses)


class _DebugCopyModule(types.ModuleType):
    """``copy`` as one Rasa module sees it: ``deepcopy`` skipped while debug is dropped."""

    def __init__(self, module: types.ModuleType) -> None:
        super().__init__("copy")
        self._module = module
        self.enabled = True

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if self.enabled and debug_dropped(getattr(self._module, "structlogger", None)):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def installed_modules() -> list[types.ModuleType]:
    """The Rasa modules whose ``copy`` is the debug-aware one."""
    modules = [importlib.import_module(name) for name in MODULES]
    return [module for module in modules if getattr(module.copy, _INSTALLED_MARK, False)]


def set_enabled(enabled: bool) -> None:
    """Turns the skipping on or off in every installed module (for A/B measurements)."""
    for module in installed_modules():
        module.copy.enabled = enabled


def install() -> None:
    """Installs the debug-aware ``copy`` in each module of :data:`MODULES`. Idempotent."""
    if rasa.__version__ != RASA_VERSION or STRUCTLOG_NOP is None:
        logger.warning(
            "Rasa %s is not %s (or structlog %s has no no-op): debug arguments are copied",
            rasa.__version__,
            RASA_VERSION,
            structlog.__version__,
        )
        return
    for name in MODULES:
        module = importlib.import_module(name)
        if getattr(module.copy, _INSTALLED_MARK, False):
            continue
        if not debug_arguments_only(inspect.getsource(module)):
            logger.warning("%s uses copy beyond debug arguments: left as it is", name)
            continue
        shim = _DebugCopyModule(module)
        setattr(shim, _INSTALLED_MARK, True)
        module.copy = shim  # type: ignore[attr-defined]


__all__ = ["MODULES", "debug_arguments_only", "debug_dropped", "install", "set_enabled"]
