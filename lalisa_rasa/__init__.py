"""Code that runs inside the Rasa process (Rasa 3.6 environment).

Nothing here may import :mod:`lalisa`: the Rasa environment pins SQLAlchemy 1.4,
while the shared package needs SQLAlchemy 2.0.
"""
