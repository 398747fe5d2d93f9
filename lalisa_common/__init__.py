"""Code that must be identical in both Python environments (Rasa 3.6 and the app).

Imported by ``lalisa_rasa`` (SQLAlchemy 1.4, pydantic 1) and by ``lalisa``, ``actions``, the
back office and the scripts (SQLAlchemy 2.0). Everything here uses the standard library only,
except :mod:`lalisa_common.whatsapp.tables`, which needs SQLAlchemy (1.4 or 2.0, present in both
environments). Nothing here imports another package of the project (``make lint`` checks it).
"""
