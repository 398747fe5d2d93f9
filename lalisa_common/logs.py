"""One logging set-up for every process: phone numbers never reach a log line.

:func:`configure_logging` is what a process's ``main`` calls instead of ``logging.basicConfig``;
:func:`install_log_masking` alone serves processes whose logging a framework sets up (the
action server under rasa_sdk, uvicorn's own handlers). Masking happens in the log record
factory, so it covers every logger and every handler, including handlers configured later by a
library, and the text of logged exceptions (database errors quote their parameters).

A phone number is an unbroken run of 9 to 15 digits (optionally after ``+``), the way WhatsApp
ids and stored numbers are written, or an Indonesian mobile number written with spaces or dashes
(``0812-3456-7890``, ``+62 812 3456 7890``). Only the last three digits stay: ``*********890``.
Ticket numbers (``LLS-2026-000123``), dates, times, decimals and ids inside words are left alone.
Names cannot be recognised by a pattern; code never logs them (reporters are referred to by
ticket number or pseudonym).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Final

__all__ = ["configure_logging", "install_log_masking", "mask_phone_numbers"]

KEPT_DIGITS: Final = 3
_PHONE: Final = re.compile(
    r"(?<![\w.+\-])(?<!\d\.)"
    r"(?:"
    r"(?:\+62[ \-]?|62[ \-]?|0)8\d{2}(?:[ \-]?\d{3,4}){2,3}"
    r"|\+?\d{9,15}"
    r")"
    r"(?![\w\-]|\.\d)"
)
DEFAULT_FORMAT: Final = "%(levelname)s %(name)s: %(message)s"

_MASKED_FLAG: Final = "_lalisa_masked"


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "*" * (len(digits) - KEPT_DIGITS) + digits[-KEPT_DIGITS:]


def mask_phone_numbers(text: str) -> str:
    """Replaces every phone-number-like run in ``text`` by stars and its last three digits."""
    return _PHONE.sub(_mask, text)


def _mask_argument(value: Any) -> Any:
    """A log argument with phone numbers masked; numbers and flags keep their type.

    Formatters such as uvicorn's access log unpack ``record.args``, so the arguments stay a
    tuple of the same length; an object is replaced by its masked ``str()``, which is what
    ``%s`` would print.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return mask_phone_numbers(value)
    return mask_phone_numbers(str(value))


def _masking_factory(previous: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = previous(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = mask_phone_numbers(record.msg)
        else:
            record.msg = mask_phone_numbers(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_argument(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _mask_argument(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phone_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phone_numbers(record.stack_info)
        return record

    setattr(factory, _MASKED_FLAG, True)
    return factory


def install_log_masking() -> None:
    """Masks phone numbers in every log record created from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, _MASKED_FLAG, False):
        logging.setLogRecordFactory(_masking_factory(current))


def configure_logging(level: int = logging.INFO, fmt: str = DEFAULT_FORMAT) -> None:
    """The logging set-up of a La-Lisa process: stderr (the journal under systemd), masked.

    Args:
        level: Root log level.
        fmt: Format of a line; the journal adds time and process itself.
    """
    install_log_masking()
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)
