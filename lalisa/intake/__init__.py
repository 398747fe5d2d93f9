"""Reading what citizens type: complaint-form answers, incident times, Banjar greetings."""
