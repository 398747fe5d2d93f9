"""Errors a route raises to show an error page with its own message."""

from __future__ import annotations

from starlette.exceptions import HTTPException


class PageError(HTTPException):
    """An HTTP error whose message is shown to the officer as is (Bahasa Indonesia).

    Example: ``raise PageError(404, "Aduan LLS-2026-000123 tidak ditemukan.")``. A plain
    ``HTTPException`` shows the generic message of its status instead.
    """

    def __init__(self, status_code: int, message: str) -> None:
        """Create the error with the status and the officer-facing message."""
        super().__init__(status_code=status_code, detail=message)
