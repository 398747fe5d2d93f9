"""Known third-party warnings are filtered; every other warning still shows."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

from lalisa_common.quiet import (
    KNOWN_THIRD_PARTY_WARNINGS,
    ignore_known_third_party_warnings,
    pythonwarnings,
)

EMIT = """
import warnings
warnings.warn("pkg_resources is deprecated as an API. See …", DeprecationWarning)
warnings.warn("Deprecated call to `pkg_resources.declare_namespace('x')`.", DeprecationWarning)
warnings.warn("jax.xla_computation is deprecated. Please use the AOT APIs.", DeprecationWarning)
warnings.warn("a warning of the project", UserWarning)
warnings.warn("a deprecation of the project", DeprecationWarning)
"""


def test_pythonwarnings_filters_the_known_and_shows_the_rest() -> None:
    env = {**os.environ, "PYTHONWARNINGS": pythonwarnings()}
    proc = subprocess.run(
        [sys.executable, "-c", EMIT], env=env, capture_output=True, text=True, check=True
    )
    assert "pkg_resources" not in proc.stderr
    assert "jax" not in proc.stderr
    assert "a warning of the project" in proc.stderr
    # Python's default: a deprecation raised in __main__ shows.
    assert "a deprecation of the project" in proc.stderr


def test_filters_go_in_front_of_a_library_that_turned_deprecations_on() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("once", category=DeprecationWarning)  # what sanic does
        warnings.filterwarnings("once", category=UserWarning)  # what Rasa does
        ignore_known_third_party_warnings()
        for known in KNOWN_THIRD_PARTY_WARNINGS:
            if known.message:
                warnings.warn(known.message + " (details)", known.category, stacklevel=1)
        warnings.warn("something new", DeprecationWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something new"]
