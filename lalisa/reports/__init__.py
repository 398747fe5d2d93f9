"""Leadership recap figures and report exports."""
