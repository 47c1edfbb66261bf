"""The command line over pkiadmin.core (click): every GUI operation has a command here."""
