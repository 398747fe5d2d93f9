"""Run the database migrations: ``python -m lalisa.migrate [revision] [--url URL]``."""

from lalisa.core.db import main

if __name__ == "__main__":
    main()
