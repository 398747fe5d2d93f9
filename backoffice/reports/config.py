"""Fixed text of the printed recap.

The agency's name is fixed; its address and phone (``Settings.office``) and the signature
block (``Settings.reports``) are settings in :mod:`lalisa.core.settings`.
"""

from __future__ import annotations

from typing import Final

AGENCY_PARENT: Final = "PEMERINTAH KABUPATEN BALANGAN"
AGENCY_NAME: Final = "SATUAN POLISI PAMONG PRAJA"
REPORT_TITLE: Final = "Laporan Rekapitulasi Pengaduan La-Lisa"
