"""Tickets domain: inbox, ticket page, actions, TRC pages, officers' WhatsApp numbers.

Routes: ``/aduan`` (inbox, ticket page, actions), ``/trc`` (the TRC's dispatches) and
``/petugas-trc`` (the officers' WhatsApp numbers, superadmin).

The workflow itself lives in :mod:`lalisa.tickets.workflow` and :mod:`lalisa.dispatch.models`;
these modules are the pages around it.
"""

from backoffice.tickets.trc_views import officers_router
from backoffice.tickets.trc_views import router as trc_router
from backoffice.tickets.views import router as tickets_router

__all__ = ["officers_router", "tickets_router", "trc_router"]
