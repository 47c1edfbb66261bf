"""PyInstaller entry point for the windowed `pkiadmin` executable."""

import multiprocessing
import sys

from pkiadmin.gui.app import main

# A large import reads its bundle in spawned worker processes: in a frozen executable they start
# here, and freeze_support() runs them instead of the window.
multiprocessing.freeze_support()
sys.exit(main())
