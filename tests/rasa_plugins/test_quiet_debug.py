"""Rasa's debug arguments are deep-copied exactly when a debug record would read them."""

from __future__ import annotations

import copy
import importlib
import inspect
import logging
from collections.abc import Iterator

import pytest
import structlog
from rasa.utils.log_utils import configure_structlog

from lalisa_rasa import quiet_debug


@pytest.fixture
def structlog_config() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.reset_defaults()
    structlog.configure(**saved)


def test_rasas_modules_use_copy_only_for_debug_arguments() -> None:
    for name in quiet_debug.MODULES:
        assert quiet_debug.debug_arguments_only(inspect.getsource(importlib.import_module(name)))


@pytest.mark.parametrize(
    "source",
    [
        "import copy\nstates = copy.deepcopy(x)\n",
        "import copy\nstructlogger.debug('e', s=copy.deepcopy(x))\ny = copy.copy(z)\n",
        "import copy\nstructlogger.info('e', s=copy.deepcopy(x))\n",
        "import copy\nstructlogger.debug('e', s=f(copy.deepcopy(x)))\n",
        "import copy\nlogger.debug('e', s=copy.deepcopy(x))\n",
        "import copy\n",
    ],
)
def test_any_other_use_of_copy_is_refused(source: str) -> None:
    assert not quiet_debug.debug_arguments_only(source)


def test_a_debug_argument_is_accepted() -> None:
    source = "import copy\nstructlogger.debug('e', copy.deepcopy(y), s=copy.deepcopy(x))\n"
    assert quiet_debug.debug_arguments_only(source)


def test_copies_follow_the_log_level(structlog_config: None) -> None:
    quiet_debug.install()
    quiet_debug.install()  # idempotent
    modules = quiet_debug.installed_modules()
    assert [module.__name__ for module in modules] == list(quiet_debug.MODULES)
    states = [{"user": {"intent": "greet"}}]
    for module in modules:
        structlog.reset_defaults()  # structlog's default prints debug records
        fresh = structlog.get_logger()
        module_logger = module.structlogger
        module.structlogger = fresh
        try:
            copied = module.copy.deepcopy(states)
            assert copied == states and copied is not states
            configure_structlog(logging.INFO)  # as `rasa run` and the worker do
            assert module.copy.deepcopy(states) is states
            quiet_debug.set_enabled(False)
            assert module.copy.deepcopy(states) is not states
            quiet_debug.set_enabled(True)
            configure_structlog(logging.DEBUG)  # --debug: the records read their arguments
            again = structlog.get_logger()
            module.structlogger = again
            copied = module.copy.deepcopy(states)
            assert copied == states and copied is not states
        finally:
            module.structlogger = module_logger
        assert module.copy.copy is copy.copy
