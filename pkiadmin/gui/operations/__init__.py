"""What the GUI does on the CA worker, one module per domain, over the Shell protocol."""
