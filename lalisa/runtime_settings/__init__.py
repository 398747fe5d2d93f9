"""Operational settings edited in the back office (``/pengaturan``)."""
