"""The SKM satisfaction survey page of the back office (issue 6)."""

from backoffice.survey.views import router

__all__ = ["router"]
