"""Shared domain package of La-Lisa (settings, database, tickets, geo, office hours, crypto).

Used by the action server and the back office (SQLAlchemy 2.0 environment). It must never import
``rasa``; the Rasa process has its own plugins in ``lalisa_rasa``.
"""
