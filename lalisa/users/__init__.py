"""Back-office officers (users), their roles and server-side sessions."""
