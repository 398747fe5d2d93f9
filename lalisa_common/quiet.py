"""Known deprecation warnings of third-party packages, filtered so the project's own show.

``make test`` and ``make run`` printed hundreds of lines of other packages' deprecations (Rasa's
setuptools ``pkg_resources``, jax under TensorFlow, pyparsing under matplotlib, distutils under
sanic_cors) around the project's output. The list is applied where each process starts:

* ``scripts/quiet-warnings.sh`` exports it as ``PYTHONWARNINGS`` (``python -m
  lalisa_common.quiet`` prints that form) for every process of a test or run;
* ``python -m lalisa_rasa`` (how the scripts start the ``rasa`` command) and ``lalisa_rasa``
  itself apply it again, because sanic, imported by Rasa, turns every ``DeprecationWarning``
  back on (``filterwarnings("once", DeprecationWarning)``), and Rasa every ``UserWarning``;
* ``tests/conftest.py`` hands it to pytest, which resets the filters for every test.

Everything else stays visible: a project warning, or a new third-party one, still shows.
"""

from __future__ import annotations

import re
import warnings
from typing import NamedTuple

__all__ = [
    "KNOWN_THIRD_PARTY_WARNINGS",
    "KnownWarning",
    "ignore_known_third_party_warnings",
    "pytest_warning_filter_lines",
    "pythonwarnings",
]


class KnownWarning(NamedTuple):
    """One warning to ignore: its message start and/or the module it is attributed to."""

    message: str = ""
    module: str = ""
    category: type[Warning] = DeprecationWarning

    def as_option(self) -> str:
        """The ``-W`` / ``PYTHONWARNINGS`` form (message prefix, exact module)."""
        return f"ignore:{self.message}:{self.category.__name__}:{self.module}"

    def as_pytest_filter(self) -> str:
        """The ``filterwarnings`` ini form (message and module are regular expressions)."""
        module = re.escape(self.module) if self.module else ""
        return f"ignore:{re.escape(self.message)}:{self.category.__name__}:{module}"


KNOWN_THIRD_PARTY_WARNINGS: tuple[KnownWarning, ...] = (
    KnownWarning(message="pkg_resources is deprecated as an API"),
    KnownWarning(message="Deprecated call to `pkg_resources.declare_namespace"),
    KnownWarning(message="jax.xla_computation is deprecated"),
    KnownWarning(message="distutils Version classes are deprecated"),
    KnownWarning(message="the load_module() method is deprecated"),
    # pyparsing 3.3 renamed its API; matplotlib 3.5 (Rasa's pin) still calls the old names.
    KnownWarning(module="matplotlib.fontconfig_pattern"),
    KnownWarning(module="matplotlib._fontconfig_pattern"),
    KnownWarning(module="matplotlib._mathtext"),
    # About GPUs; La-Lisa sets TF_DETERMINISTIC_OPS=1 on purpose for reproducible CPU training.
    KnownWarning(message="You have set 'TF_DETERMINISTIC_OPS' to 1", category=UserWarning),
)


def ignore_known_third_party_warnings() -> None:
    """Put the ignore filters of :data:`KNOWN_THIRD_PARTY_WARNINGS` in front of the others."""
    for known in KNOWN_THIRD_PARTY_WARNINGS:
        warnings.filterwarnings(
            "ignore",
            message=re.escape(known.message),
            category=known.category,
            module=re.escape(known.module) + r"\Z" if known.module else "",
        )


def pythonwarnings() -> str:
    """The list as a ``PYTHONWARNINGS`` value (Python's defaults stay for everything else)."""
    return ",".join(known.as_option() for known in KNOWN_THIRD_PARTY_WARNINGS)


def pytest_warning_filter_lines() -> list[str]:
    """The list as pytest ``filterwarnings`` lines, after pytest's own default for deprecations.

    pytest shows every ``DeprecationWarning`` only when no ``-W``/``PYTHONWARNINGS`` option is
    set; with ours set, the first two lines keep that behaviour.
    """
    return [
        "always::DeprecationWarning",
        "always::PendingDeprecationWarning",
        *(known.as_pytest_filter() for known in KNOWN_THIRD_PARTY_WARNINGS),
    ]


def main() -> None:
    """Print :func:`pythonwarnings` (``scripts/quiet-warnings.sh`` exports it)."""
    print(pythonwarnings())


if __name__ == "__main__":
    main()
