"""Citizen and TRC notifications over WhatsApp: the durable outbox and its sender worker.

* :mod:`lalisa.notifications.outbox`: :func:`~lalisa.notifications.outbox.enqueue` (in the
  caller's transaction), delivery status, manual resend.
* :mod:`lalisa.notifications.messages`: the message for each ticket event (text + template).
* :mod:`lalisa.notifications.texts`: every text, in Bahasa Indonesia.
* :mod:`lalisa.notifications.graph`: the async WhatsApp Cloud API client (httpx).
* :mod:`lalisa.notifications.worker`: ``python -m lalisa.notifications.worker``.

Importing the package registers the ``outbox_messages`` table on ``lalisa.tickets.models.Base``.
"""

from lalisa.notifications.models import OutboxMessage, OutboxStatus, RecipientKind

__all__ = ["OutboxMessage", "OutboxStatus", "RecipientKind"]
