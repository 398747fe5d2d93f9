"""uvicorn's access log still formats with masking installed (it unpacks ``record.args``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from lalisa_common.logs import install_log_masking


@pytest.fixture
def masking() -> Iterator[None]:
    previous = logging.getLogRecordFactory()
    install_log_masking()
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)


def test_uvicorn_access_line_is_formatted_and_masked(masking: None) -> None:
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:51000", "GET", "/aduan?cari=081234567890", "1.1", 200),
        None,
    )
    line = AccessFormatter(fmt="%(client_addr)s %(request_line)s %(status_code)s").format(record)
    assert "081234567890" not in line
    assert line == "127.0.0.1:51000 GET /aduan?cari=*********890 HTTP/1.1 200 OK"
