"""Signing: the CAs pkiadmin holds, root creation (file or token), intermediates, CSRs and requests."""
