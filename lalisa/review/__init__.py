"""Conversation review: index tables and the training-data export."""
