"""The leadership recap (issue 6): figures, charts, drill-down lists and exports."""

from backoffice.reports.views import router as reports_router

__all__ = ["reports_router"]
