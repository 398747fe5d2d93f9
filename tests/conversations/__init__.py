"""Simulated citizens: whole conversations with the real assistant, judged by the ticket.

An agenda-based user simulator (Schatzmann et al., 2007) talks to the running Rasa and
action servers over the REST channel or through the WhatsApp sandbox (signed webhooks),
answers whatever the assistant asks from a persona's facts in the persona's style, and the
ticket it leaves in the database is compared with what the persona expects. Personas are
YAML files under ``personas/dev`` (used while fixing the assistant) and ``personas/holdout``
(never looked at while fixing). Run with ``python -m tests.conversations``.
"""
