"""ORM model of the settings edited in the back office (``app_settings``, ``0006_settings``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lalisa.core.models import Base

__all__ = ["AppSetting"]


class AppSetting(Base):
    """A stored override of one setting; ``value`` ``None`` means "back to the default".

    A reset keeps the row (with a higher version) rather than deleting it, so a form built
    before the reset is still recognised as stale.
    """

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(128), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
