"""PyInstaller entry point for the console `pkiadmin-cli` executable."""

import multiprocessing

from pkiadmin.cli.main import main

# A large import reads its bundle in spawned worker processes: in a frozen executable they start
# here, and freeze_support() runs them instead of the command line.
multiprocessing.freeze_support()
main()
