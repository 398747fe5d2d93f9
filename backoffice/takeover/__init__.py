"""Human takeover of a WhatsApp conversation: the "needs a person" list and the takeover page."""

from backoffice.takeover.views import router as takeover_router

__all__ = ["takeover_router"]
