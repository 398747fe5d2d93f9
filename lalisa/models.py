"""Every ORM model module of La-Lisa, imported in one place.

Alembic's ``env.py`` and the test fixtures read the schema from here, so what they see never
depends on which modules a process happened to import first. A new model module is added to
:data:`MODEL_MODULES`; ``tests/unit/test_migrations.py`` then checks that a migration creates it
(``alembic revision --autogenerate`` against a migrated database must come out empty).
"""

from __future__ import annotations

from types import ModuleType

from lalisa.core import contacts as contact_tables
from lalisa.core import models as core_models
from lalisa.core.models import Base
from lalisa.dispatch import models as dispatch_models
from lalisa.notifications import channel_tables
from lalisa.notifications import models as notification_models
from lalisa.reports import models as report_models
from lalisa.review import models as review_models
from lalisa.runtime_settings import models as runtime_settings_models
from lalisa.survey import models as survey_models
from lalisa.takeover import models as takeover_models
from lalisa.tickets import models as ticket_models
from lalisa.users import models as user_models

__all__ = ["MODEL_MODULES", "Base", "metadata"]

MODEL_MODULES: tuple[ModuleType, ...] = (
    core_models,
    ticket_models,
    user_models,
    notification_models,
    channel_tables,
    dispatch_models,
    runtime_settings_models,
    takeover_models,
    review_models,
    survey_models,
    report_models,
    contact_tables,
)
"""The modules that declare tables, in the order of the migrations that create them."""

metadata = Base.metadata
"""The whole La-Lisa schema (every table Alembic owns)."""
