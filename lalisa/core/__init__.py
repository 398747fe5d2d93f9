"""Foundation shared by every domain: settings, database access, identity encryption, audit log."""
