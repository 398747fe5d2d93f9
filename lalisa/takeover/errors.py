"""Refusals of a takeover action; each carries its message for the admin (Bahasa Indonesia)."""

from __future__ import annotations


class TakeoverError(Exception):
    """A takeover action refused; ``message`` is for the admin (Bahasa Indonesia)."""

    def __init__(self, message: str) -> None:
        """Keep the message."""
        super().__init__(message)
        self.message = message


class RasaApiError(TakeoverError):
    """Rasa's HTTP API could not be reached or refused the call (after retries)."""


class TakeoverConflict(TakeoverError):
    """Another admin holds the conversation."""

    def __init__(self, message: str, holder: str) -> None:
        """Keep the message and who holds the conversation."""
        super().__init__(message)
        self.holder = holder


class OutsideServiceWindow(TakeoverError):
    """The citizen's 24-hour window is closed: a free text cannot be sent."""
