"""Read-only access to Rasa's conversation history (tracker store) for the ticket page."""

from lalisa.review.tracker import (
    ConversationExcerpt,
    ConversationMessage,
    conversation_excerpt,
    dispose_tracker_engines,
    read_messages,
)

__all__ = [
    "ConversationExcerpt",
    "ConversationMessage",
    "conversation_excerpt",
    "dispose_tracker_engines",
    "read_messages",
]
