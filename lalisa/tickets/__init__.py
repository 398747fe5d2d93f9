"""Complaint tickets: models, submission and numbering, the back-office workflow, spool."""
