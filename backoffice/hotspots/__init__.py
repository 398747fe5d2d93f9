"""Hotspot map domain ("Peta Rawan"): choropleth, clusters and ranking of vulnerable areas.

Routes under ``/peta-rawan``; the figures come from :mod:`lalisa.places.hotspots`.
"""

from backoffice.hotspots.views import router as hotspots_router

__all__ = ["hotspots_router"]
