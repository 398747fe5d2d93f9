"""La-Lisa back office: the web application in which Satpol PP Balangan works complaints.

Entry points: :func:`backoffice.app.create_app` (ASGI factory), ``python -m backoffice``
(serve), ``python -m backoffice.bootstrap`` and ``python -m backoffice.create_superadmin``.
See docs/backoffice.md.
"""
