"""The WhatsApp webhook receiver and the inbound queue it fills (issue 12).

The receiver (:mod:`lalisa.ingress.app`, ``python -m lalisa.ingress``) verifies and stores every
message before it answers Meta, and never waits for Rasa; the Rasa workers
(``python -m lalisa_rasa.worker``) lease the stored messages in per-citizen order.
"""
