"""Settings of the printed recap (signature block, place), read from the environment/.env.

The agency's name is fixed; its address and phone come from :class:`lalisa.core.settings.Settings`.
Facts that are not confirmed (who signs, the NIP) are settings and stay blank when unset, so
the printed report leaves room to write them by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lalisa.core.settings import get_settings
from lalisa_common.env import read_env

AGENCY_PARENT: Final = "PEMERINTAH KABUPATEN BALANGAN"
AGENCY_NAME: Final = "SATUAN POLISI PAMONG PRAJA"
REPORT_TITLE: Final = "Laporan Rekapitulasi Pengaduan La-Lisa"
DEFAULT_SIGNER_TITLE: Final = "Kepala Satuan Polisi Pamong Praja Kabupaten Balangan"
DEFAULT_PLACE: Final = "Paringin"


@dataclass(frozen=True)
class ReportSettings:
    """What the PDF header and signature block print.

    Attributes:
        office_address: ``LALISA_OFFICE_ADDRESS``.
        office_phone: ``LALISA_OFFICE_PHONE`` (may be empty).
        signer_title: ``LALISA_REPORT_SIGNER_TITLE`` (default: Kepala Satuan …).
        signer_name: ``LALISA_REPORT_SIGNER_NAME``; blank line when empty.
        signer_nip: ``LALISA_REPORT_SIGNER_NIP``; blank when empty.
        place: ``LALISA_REPORT_PLACE`` (place before the date of signing, default Paringin).
    """

    office_address: str
    office_phone: str
    signer_title: str
    signer_name: str
    signer_nip: str
    place: str


def load_report_settings(environ: Mapping[str, str] | None = None) -> ReportSettings:
    """Read the report settings (process environment wins over ``.env``).

    Args:
        environ: Process environment; defaults to :data:`os.environ`.

    Returns:
        The settings.
    """
    env = read_env(environ)

    def value(name: str, default: str = "") -> str:
        return (env.get(name) or "").strip() or default

    settings = get_settings()
    return ReportSettings(
        office_address=settings.office_address,
        office_phone=settings.office_phone,
        signer_title=value("LALISA_REPORT_SIGNER_TITLE", DEFAULT_SIGNER_TITLE),
        signer_name=value("LALISA_REPORT_SIGNER_NAME"),
        signer_nip=value("LALISA_REPORT_SIGNER_NIP"),
        place=value("LALISA_REPORT_PLACE", DEFAULT_PLACE),
    )
