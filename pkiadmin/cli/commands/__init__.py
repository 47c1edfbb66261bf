"""One module per top-level command group of pkiadmin-cli."""
