"""Proof that the CA's state is what pkiadmin recorded: the audit log replayed, signed CRL checkpoints."""
