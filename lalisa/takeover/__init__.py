"""Human takeover of a WhatsApp conversation by an admin."""
