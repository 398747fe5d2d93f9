"""Custom actions for the La-Lisa assistant (rasa-sdk).

One module per domain: tickets (the complaint form and its submission), info
(answers that depend on settings), status (ticket status for the citizen) and
handoff (asking for a person). Actions stay thin: the rules live in
:mod:`lalisa`, and every citizen-facing sentence lives in the Rasa domain (``domain/``).
"""

from lalisa_common.logs import install_log_masking

# rasa_sdk sets up the action server's logging itself; masking goes into its records too.
install_log_masking()
