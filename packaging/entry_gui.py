"""PyInstaller entry point for the windowed `pkiadmin` executable."""

import sys

from pkiadmin.gui.app import main

sys.exit(main())
