"""Code that runs inside the Rasa process (Rasa 3.6 environment).

Nothing here may import :mod:`lalisa`: the Rasa environment pins SQLAlchemy 1.4,
while the shared package needs SQLAlchemy 2.0.
"""

from lalisa_common.quiet import ignore_known_third_party_warnings

# Rasa imports sanic, which turns every DeprecationWarning back on; Rasa loads this package after
# that, so the known third-party ones are filtered again here (see lalisa_common.quiet).
ignore_known_third_party_warnings()
