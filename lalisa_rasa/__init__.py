"""Code that runs inside the Rasa process (Rasa 3.6 environment).

Nothing here may import :mod:`lalisa`: the Rasa environment pins SQLAlchemy 1.4,
while the shared package needs SQLAlchemy 2.0.
"""

from lalisa_common.quiet import ignore_known_third_party_warnings

# Rasa imports sanic, which turns every DeprecationWarning back on; Rasa loads this package after
# that, so the known third-party ones are filtered again here (see lalisa_common.quiet).
ignore_known_third_party_warnings()

from lalisa_common.logs import install_log_masking  # noqa: E402

# Rasa and its channels log sender ids (phone numbers) and message texts; every record of the
# Rasa process is masked like the app's (lalisa_common.logs), whoever set up the handlers.
install_log_masking()
