"""The SKM satisfaction survey: computation, storage, invitation and answers."""
