"""``python -m lalisa_rasa ARGS``: the ``rasa`` command, without the known third-party warnings.

Rasa's command line imports sanic, which turns every ``DeprecationWarning`` back on, before it
imports TensorFlow, setuptools' ``pkg_resources`` and matplotlib; and once it runs, Rasa puts
"once" for every ``UserWarning`` in front of all filters, which lets pyparsing's deprecations
(``UserWarning`` subclasses) through. The list of :mod:`lalisa_common.quiet` is applied after
each of the two; every other warning still shows.

``run --enable-api`` takes the API token from ``RASA_API_TOKEN`` (:mod:`lalisa_rasa.launch`), so
it never appears on the command line.
"""

import sys
from typing import Any

import sanic.app  # noqa: F401 (installs sanic's warning filter now, so ours can go in front)

from lalisa_common.quiet import ignore_known_third_party_warnings
from lalisa_rasa.launch import arguments_with_secrets

ignore_known_third_party_warnings()

import rasa.utils.common  # noqa: E402 (after the filters: importing Rasa warns)
from rasa.__main__ import main  # noqa: E402

_rasa_filter_warnings = rasa.utils.common._filter_warnings


def _filter_warnings(*args: Any, **kwargs: Any) -> None:
    """Rasa's own warning set-up, then the known third-party warnings in front again."""
    _rasa_filter_warnings(*args, **kwargs)
    ignore_known_third_party_warnings()


rasa.utils.common._filter_warnings = _filter_warnings

from lalisa_rasa import turn_states  # noqa: E402 (imports Rasa)

# Every command that predicts (``run``, ``test core``, ``shell``) computes dialogue states once
# per tracker state, as the serving processes do (their tracker store installs it too); so
# ``test core`` checks the predictions with the cache in place.
turn_states.install()

if __name__ == "__main__":
    # The API token goes into Rasa's argument list in memory only (lalisa_rasa.launch).
    sys.argv = arguments_with_secrets(sys.argv)
    main()
