"""Messaging channels loaded by the Rasa process (WhatsApp Cloud API)."""
