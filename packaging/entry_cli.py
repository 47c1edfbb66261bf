"""PyInstaller entry point for the console `pkiadmin-cli` executable."""

from pkiadmin.cli.main import main

main()
