"""The WhatsApp Cloud API as both environments see it: errors, signatures, payloads, tables."""
