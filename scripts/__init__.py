"""Set-up, training, test and run helpers behind the Makefile."""
