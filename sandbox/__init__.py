"""Local WhatsApp sandbox: a fake Graph API plus a phone simulator page.

Run it with ``.venv-rasa/bin/python -m sandbox`` (see ``docs/whatsapp.md``).
"""
