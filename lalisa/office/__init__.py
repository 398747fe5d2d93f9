"""Office hours of the agency: schedule, holidays, Bahasa Indonesia wording."""
