"""TRC dispatch: officers' contacts, dispatches, field reports and their photos."""
