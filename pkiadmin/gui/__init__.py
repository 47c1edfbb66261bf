"""The PySide6 desktop front end of pkiadmin; it calls pkiadmin.core through one CA worker."""

from pkiadmin.gui.none_guard import keep_none_alive

keep_none_alive()  # before any Qt call: see none_guard
