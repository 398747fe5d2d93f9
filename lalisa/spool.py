"""Replay the complaint spool: ``python -m lalisa.spool`` (code in :mod:`lalisa.tickets.spool`)."""

from lalisa.tickets.spool import main

if __name__ == "__main__":
    main()
