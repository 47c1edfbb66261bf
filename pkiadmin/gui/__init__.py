"""The PySide6 desktop front end of pkiadmin; it calls pkiadmin.core through one CA worker."""
